/*
 * The ceiling: a single-threaded C server on epoll for the LINE protocol
 * only, doing ringpool's job with the same answers. Written to bound what
 * any server can get out of this machine with these messages, not to be
 * a product: no TLS, no limits beyond the frame size, no seed or binary.
 *
 * The job, byte for byte as ringpool's src/job/ does it:
 *   - a frame is the bytes before '\n', without one '\r' right before it;
 *   - strict UTF-8 (the WHATWG decoder TextDecoder uses with fatal: true:
 *     no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 *     sequence); a BOM is kept as a character, as Python's 'utf-8' codec does;
 *   - Python str.strip(): the 29 code points str.isspace() is true for
 *     (src/job/python-strip.ts lists them; python3 printed the set);
 *   - the last character is a code point; its occurrences are counted over
 *     code points (in valid UTF-8 a code point's encoding can only match at a
 *     code point boundary, so a byte search is exact);
 *   - "<n> sí\n" when n is prime, else "<n> no\n"; "ERR invalid UTF-8\n",
 *     "ERR empty message\n"; a frame over --max-frame bytes gets
 *     "ERR frame too large: more than N bytes\n" and the connection is closed;
 *   - --job-work N: N rounds of src/job/cpu-work.ts's xorshift32.
 *
 * The log: one record per answer in ringpool's seed format
 * ("YYYY-MM-DD HH:MM:SS | ip | message | count | sí", the message escaped as
 * src/log-format/escape.ts does). Each epoll batch appends its records with
 * one write(2) BEFORE its answers are sent: ringpool's default --ack written
 * guarantee. One difference: for an invalid-UTF-8 message ringpool logs the
 * U+FFFD-decoded text, this server logs each byte >= 0x80 of it as \xNN.
 *
 *   gcc -O2 -o c-epoll profiling/peers/c-epoll.c
 *   ./c-epoll [--host 127.0.0.1] [--line-port 5051] [--job-work 0]
 *             [--log-file server_log.txt] [--max-frame 65536]
 *
 * Prints {"msg":"ready","ports":{"line":P}} on stderr; SIGTERM: stop,
 * answer what was read, flush the log, exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_EVENTS 256
/* A connection whose unsent answers pass this stops being read (backpressure). */
#define OUT_HIGH_WATER (1 << 20)

struct buf {
  char *p;
  size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap == 0 ? 4096 : b->cap;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) { perror("c-epoll: realloc"); exit(1); }
  b->p = p;
  b->cap = cap;
}

static void buf_put(struct buf *b, const void *data, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_puts(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_consume(struct buf *b, size_t n) {
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

struct conn {
  int fd;
  char ip[INET6_ADDRSTRLEN];
  struct buf in;   /* a partial frame carried between reads */
  struct buf out;  /* answers not yet accepted by the kernel */
  int closing;     /* answer what is queued, then close */
  int reading;     /* EPOLLIN registered */
  int touched;     /* has answers to send at the end of this batch */
  struct conn *next_touched;
  struct conn *prev, *next; /* every open connection, for the stop */
};

static int epfd;
static long job_work;
static size_t max_frame = 65536;
static int log_fd;
static struct buf log_buf;
static volatile sig_atomic_t stop_requested;
static volatile uint32_t sink; /* keeps cpu_work's loop from being dropped */

/* ── the job ─────────────────────────────────────────────────────────────── */

static uint32_t cpu_work(long units) {
  uint32_t x = 0x9e3779b9u;
  for (long i = 0; i < units; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  return x;
}

static int is_prime(long n) {
  if (n < 2) return 0;
  if (n % 2 == 0) return n == 2;
  for (long d = 3; d * d <= n; d += 2)
    if (n % d == 0) return 0;
  return 1;
}

static int is_python_space(uint32_t c) {
  switch (c) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d:
    case 0x1c: case 0x1d: case 0x1e: case 0x1f: case 0x20:
    case 0x85: case 0xa0: case 0x1680:
    case 0x2000: case 0x2001: case 0x2002: case 0x2003: case 0x2004: case 0x2005:
    case 0x2006: case 0x2007: case 0x2008: case 0x2009: case 0x200a:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return 1;
    default:
      return 0;
  }
}

/* Strict UTF-8 as the WHATWG decoder (TextDecoder fatal) accepts it. */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
    else return 0;
    if (n - i - 1 < need) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t k = 2; k <= need; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
    i += need + 1;
  }
  return 1;
}

/* Decodes the (valid) code point at s[i]; stores its length in *len. */
static uint32_t decode_at(const unsigned char *s, size_t i, size_t *len) {
  unsigned char c = s[i];
  if (c < 0x80) { *len = 1; return c; }
  if (c < 0xe0) { *len = 2; return ((uint32_t)(c & 0x1f) << 6) | (s[i + 1] & 0x3f); }
  if (c < 0xf0) { *len = 3; return ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f); }
  *len = 4;
  return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) | ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f);
}

/* Start of the code point that ends just before s[end] (valid UTF-8, end > 0). */
static size_t prev_start(const unsigned char *s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (s[i] & 0xc0) == 0x80) i--;
  return i;
}

/* ── the log ─────────────────────────────────────────────────────────────── */

static time_t cached_second = -1;
static char cached_stamp[32];

static const char *local_stamp(void) {
  time_t now = time(NULL);
  if (now != cached_second) {
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(cached_stamp, sizeof cached_stamp, "%Y-%m-%d %H:%M:%S", &tm);
    cached_second = now;
  }
  return cached_stamp;
}

/* src/log-format/escape.ts on UTF-8 bytes; `valid`: the bytes are valid UTF-8. */
static void log_escaped(const unsigned char *s, size_t n, int valid) {
  char tmp[16];
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c >= 0x80 && !valid) { snprintf(tmp, sizeof tmp, "\\x%02x", c); buf_puts(&log_buf, tmp); i++; continue; }
    if (c >= 0x80) {
      size_t len;
      uint32_t cp = decode_at(s, i, &len);
      if (cp <= 0x9f) { snprintf(tmp, sizeof tmp, "\\x%02x", cp); buf_puts(&log_buf, tmp); }
      else if (cp == 0x2028 || cp == 0x2029) { snprintf(tmp, sizeof tmp, "\\u{%x}", cp); buf_puts(&log_buf, tmp); }
      else buf_put(&log_buf, s + i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '\\': buf_puts(&log_buf, "\\\\"); break;
      case '|': buf_puts(&log_buf, "\\|"); break;
      case '\n': buf_puts(&log_buf, "\\n"); break;
      case '\r': buf_puts(&log_buf, "\\r"); break;
      case '\t': buf_puts(&log_buf, "\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) { snprintf(tmp, sizeof tmp, "\\x%02x", c); buf_puts(&log_buf, tmp); }
        else buf_put(&log_buf, &c, 1);
    }
    i++;
  }
}

static void log_record(const struct conn *c, const unsigned char *msg, size_t n, int valid, const char *tail) {
  buf_puts(&log_buf, local_stamp());
  buf_puts(&log_buf, " | ");
  buf_puts(&log_buf, c->ip);
  buf_puts(&log_buf, " | ");
  log_escaped(msg, n, valid);
  buf_puts(&log_buf, " | ");
  buf_puts(&log_buf, tail);
  buf_puts(&log_buf, "\n");
}

static void flush_log(void) {
  size_t at = 0;
  while (at < log_buf.len) {
    ssize_t w = write(log_fd, log_buf.p + at, log_buf.len - at);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("c-epoll: write log");
      exit(3);
    }
    at += (size_t)w;
  }
  log_buf.len = 0;
}

/* Runs the job on one frame: appends the answer to c->out and the record to the log. */
static void answer(struct conn *c, const unsigned char *f, size_t n) {
  if (!valid_utf8(f, n)) {
    size_t a = 0, b = n; /* log what the client sent, ASCII whitespace stripped */
    while (a < b && f[a] < 0x80 && is_python_space(f[a])) a++;
    while (b > a && f[b - 1] < 0x80 && is_python_space(f[b - 1])) b--;
    log_record(c, f + a, b - a, 0, "- | ERR invalid UTF-8");
    buf_puts(&c->out, "ERR invalid UTF-8\n");
    return;
  }
  size_t start = 0, end = n, len;
  while (start < end && is_python_space(decode_at(f, start, &len))) start += len;
  while (end > start) {
    size_t p = prev_start(f, end);
    if (!is_python_space(decode_at(f, p, &len))) break;
    end = p;
  }
  if (start == end) {
    log_record(c, f, 0, 1, "- | ERR empty message");
    buf_puts(&c->out, "ERR empty message\n");
    return;
  }
  if (job_work > 0) sink ^= cpu_work(job_work);
  size_t last = prev_start(f, end);
  size_t clen = end - last;
  long count = 0;
  for (const unsigned char *p = f + start, *stop = f + end; p < stop;) {
    p = memchr(p, f[last], (size_t)(stop - p));
    if (p == NULL) break;
    if ((size_t)(stop - p) >= clen && memcmp(p, f + last, clen) == 0) { count++; p += clen; } else p++;
  }
  char text[64];
  const char *verdict = is_prime(count) ? "s\xc3\xad" : "no";
  snprintf(text, sizeof text, "%ld %s\n", count, verdict);
  buf_puts(&c->out, text);
  snprintf(text, sizeof text, "%ld | %s", count, verdict);
  log_record(c, f + start, end - start, 1, text);
}

/* ── connections ─────────────────────────────────────────────────────────── */

static struct conn *touched_head;
static struct conn *all_head;

static void set_events(struct conn *c) {
  /* EPOLLRDHUP only while reading: it is level-triggered and would spin. */
  struct epoll_event ev = { .events = (c->reading ? EPOLLIN | EPOLLRDHUP : 0) | (c->out.len > 0 ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void close_conn(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (c->prev != NULL) c->prev->next = c->next; else all_head = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  free(c->in.p);
  free(c->out.p);
  c->fd = -1; /* freed after the batch: a later event of this batch may point here */
}

static void touch(struct conn *c) {
  if (c->touched) return;
  c->touched = 1;
  c->next_touched = touched_head;
  touched_head = c;
}

/* Splits the read bytes into frames; answers each. */
static void on_bytes(struct conn *c, const unsigned char *data, size_t n) {
  size_t at = 0;
  while (at < n && !c->closing) {
    const unsigned char *nl = memchr(data + at, '\n', n - at);
    size_t upto = nl == NULL ? n : (size_t)(nl - data);
    if (c->in.len + (upto - at) > max_frame + 1) {
      char text[96];
      snprintf(text, sizeof text, "ERR frame too large: more than %zu bytes\n", max_frame);
      buf_puts(&c->out, text);
      c->closing = 1;
      break;
    }
    if (nl == NULL) { buf_put(&c->in, data + at, n - at); break; }
    const unsigned char *f = data + at;
    size_t len = upto - at;
    if (c->in.len > 0) {
      buf_put(&c->in, f, len);
      f = (const unsigned char *)c->in.p;
      len = c->in.len;
    }
    if (len > 0 && f[len - 1] == '\r') len--;
    if (len > max_frame) {
      char text[96];
      snprintf(text, sizeof text, "ERR frame too large: more than %zu bytes\n", max_frame);
      buf_puts(&c->out, text);
      c->closing = 1;
      break;
    }
    answer(c, f, len);
    c->in.len = 0;
    at = upto + 1;
  }
  touch(c);
}

static void on_readable(struct conn *c) {
  static unsigned char chunk[READ_CHUNK];
  for (;;) {
    ssize_t r = read(c->fd, chunk, sizeof chunk);
    if (r > 0) {
      on_bytes(c, chunk, (size_t)r);
      if (c->closing || c->out.len > OUT_HIGH_WATER) break;
      if ((size_t)r < sizeof chunk) break; /* drained; level-triggered epoll calls again if not */
      continue;
    }
    if (r == 0) { c->closing = 1; touch(c); break; } /* the client is done: answer, then close */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) { c->closing = 1; c->out.len = 0; touch(c); }
    break;
  }
}

/* Sends what the kernel takes; closes a finished closing connection. */
static void send_out(struct conn *c) {
  while (c->out.len > 0) {
    ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      c->out.len = 0; /* a reset: nothing more can be sent */
      c->closing = 1;
      break;
    }
    buf_consume(&c->out, (size_t)w);
  }
  if (c->closing && c->out.len == 0) { close_conn(c); return; }
  int want_reading = !c->closing && c->out.len <= OUT_HIGH_WATER && !stop_requested;
  c->reading = want_reading;
  set_events(c);
}

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void usage_exit(const char *why) {
  fprintf(stderr, "c-epoll: %s\nusage: c-epoll [--host 127.0.0.1] [--line-port 5051] [--job-work 0] [--log-file server_log.txt] [--max-frame 65536]\n", why);
  exit(2);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  const char *log_file = "server_log.txt";
  long port = 5051;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *endp;
    if (strcmp(argv[i], "--host") == 0 && v) host = v;
    else if (strcmp(argv[i], "--log-file") == 0 && v) log_file = v;
    else if (strcmp(argv[i], "--line-port") == 0 && v) { port = strtol(v, &endp, 10); if (*endp || port < 0 || port > 65535) usage_exit("--line-port must be 0..65535"); }
    else if (strcmp(argv[i], "--job-work") == 0 && v) { job_work = strtol(v, &endp, 10); if (*endp || job_work < 0) usage_exit("--job-work must be an integer >= 0"); }
    else if (strcmp(argv[i], "--max-frame") == 0 && v) { long m = strtol(v, &endp, 10); if (*endp || m < 1) usage_exit("--max-frame must be an integer >= 1"); max_frame = (size_t)m; }
    else { char why[256]; snprintf(why, sizeof why, "unknown or incomplete option \"%s\"", argv[i]); usage_exit(why); }
    i++;
  }

  log_fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) { fprintf(stderr, "c-epoll: cannot open log file %s: %s\n", log_file, strerror(errno)); return 2; }

  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* The signals are blocked except inside epoll_pwait: one that arrives
     between the check of stop_requested and the wait interrupts the wait
     instead of being missed. */
  sigset_t blocked, waiting_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &waiting_mask);

  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) usage_exit("--host must be an IPv4 address");
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 511) < 0) {
    fprintf(stderr, "c-epoll: cannot listen on %s:%ld: %s\n", host, port, strerror(errno));
    return 2;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &alen);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
  fprintf(stderr, "{\"msg\":\"ready\",\"peer\":\"c-epoll\",\"ports\":{\"line\":%u}}\n", ntohs(addr.sin_port));
  fflush(stderr);

  struct epoll_event events[MAX_EVENTS];
  int listening = 1;
  long open_conns = 0;
  for (;;) {
    if (stop_requested && listening) {
      /* Stop accepting; the connections are still read by nothing new. */
      epoll_ctl(epfd, EPOLL_CTL_DEL, lfd, NULL);
      close(lfd);
      listening = 0;
      /* Everything read has been answered (the job is synchronous): send what
         is queued and close every connection, as ringpool's drain does. */
      for (struct conn *c = all_head; c != NULL; c = c->next) { c->closing = 1; touch(c); }
    }
    if (!listening && open_conns == 0) break;
    /* While stopping, wake now and then to see whether the last answer went out. */
    int n = epoll_pwait(epfd, events, MAX_EVENTS, stop_requested ? 50 : -1, &waiting_mask);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("c-epoll: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          struct sockaddr_in peer;
          socklen_t plen = sizeof peer;
          int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c);
          c->fd = fd;
          c->reading = 1;
          c->next = all_head;
          if (all_head != NULL) all_head->prev = c;
          all_head = c;
          inet_ntop(AF_INET, &peer.sin_addr, c->ip, sizeof c->ip);
          struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
          open_conns++;
        }
        continue;
      }
      if (c->fd < 0) continue;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (c->reading) on_readable(c);
        else if (events[i].events & (EPOLLHUP | EPOLLERR)) { c->closing = 1; c->out.len = 0; touch(c); }
      }
      if (events[i].events & EPOLLOUT) touch(c);
    }
    /* The batch's log records reach the OS before any of its answers. */
    flush_log();
    while (touched_head != NULL) {
      struct conn *c = touched_head;
      touched_head = c->next_touched;
      c->touched = 0;
      if (c->fd >= 0) send_out(c);
      if (c->fd < 0) { free(c); open_conns--; }
    }
  }
  flush_log();
  close(log_fd);
  fprintf(stderr, "{\"msg\":\"stopped\"}\n");
  (void)sink;
  return 0;
}
