/*
 * hostile-clients.ts's connection flood, in C: every 500 ms, SIZE
 * connections at once to 127.0.0.1:PORT, each kept open and silent; what
 * the server sends is read, and each connection's end is classified as
 * hostile-clients.ts classifies its own.
 *
 * Why C: on a deployment the attackers' CPU is on other machines. Here it
 * shares two cores with the server and the measuring client, and a Node
 * attacker spent ~180 µs of CPU per connection attempt (Socket objects,
 * Error objects with stack traces, events, its garbage collector), ~7% of a
 * core at 400 attempts a second. This one spends ~25 µs, the system calls
 * (both measured at a closed port, 2,400 attempts).
 * From the server's side the flood is the same: the same connects, at the
 * same times, held the same way.
 *
 *   flood-attacker PORT SIZE
 *
 * stdout: "full" once, at the first connection turned away (an ERR answer,
 * or refused or reset by the kernel: the server is at --max-connections);
 * then, on SIGTERM, one line of JSON counts, and exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST_MS 500
#define ANSWER_MAX 48 /* enough to tell "ERR too many connections\n" from anything else */
static const char TOO_MANY[] = "ERR too many connections\n";

enum { CONNECTING = 1, OPEN = 2 };

struct conn {
  unsigned char state; /* 0: no connection on this fd */
  unsigned char len;
  char got[ANSWER_MAX];
};

/* The counts, named as hostile-clients.ts names its own. */
static long connected, answered_err, refused, reset_unanswered, other;
static char other_sample[ANSWER_MAX * 2];
static volatile sig_atomic_t stopping;
static int announced_full;

static void on_term(int sig) { (void)sig; stopping = 1; }

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void turned_away(void) {
  if (announced_full) return;
  announced_full = 1;
  fputs("full\n", stdout);
  fflush(stdout);
}

/* A connection ended: classified by what it got, then by how it ended. */
static void ended(int fd, struct conn *c, int err) {
  if (c->len == sizeof TOO_MANY - 1 && memcmp(c->got, TOO_MANY, c->len) == 0) {
    answered_err++;
    turned_away();
  } else if (c->len == 0 && err == ECONNREFUSED) {
    refused++;
    turned_away();
  } else if (c->len == 0 && err == ECONNRESET) {
    reset_unanswered++;
    turned_away();
  } else {
    if (other == 0) snprintf(other_sample, sizeof other_sample, "%.*s (error %d)", (int)c->len, c->got, err);
    other++;
  }
  close(fd); /* also takes it out of the epoll set: the fd is never duplicated */
  c->state = 0;
}

static void burst(int epfd, const struct sockaddr_in *to, int size, struct conn *conns, int max_fd) {
  for (int i = 0; i < size; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("flood-attacker: socket"); exit(1); }
    if (fd >= max_fd) { fprintf(stderr, "flood-attacker: fd %d over the open-files limit %d\n", fd, max_fd); exit(1); }
    struct conn *c = &conns[fd];
    c->len = 0;
    if (connect(fd, (const struct sockaddr *)to, sizeof *to) == 0 || errno == EINPROGRESS) {
      c->state = CONNECTING;
      struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.fd = fd };
      if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) { perror("flood-attacker: epoll_ctl"); exit(1); }
    } else {
      ended(fd, c, errno); /* refused at once: loopback answers within the call */
    }
  }
}

/* Reads what is there into c->got; returns 0 at the end of the stream, an errno, or -1 for more to come. */
static int drain(int fd, struct conn *c) {
  for (;;) {
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      size_t room = (size_t)(ANSWER_MAX - c->len);
      size_t keep = (size_t)n < room ? (size_t)n : room;
      memcpy(c->got + c->len, buf, keep);
      c->len = (unsigned char)(c->len + keep);
      continue;
    }
    if (n == 0) return 0;
    return errno == EAGAIN ? -1 : errno;
  }
}

static void ready(int epfd, int fd, unsigned events, struct conn *c) {
  if (c->state == CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      /* Handled late (this process yields to every other), the connection
       * may have been answered, closed and reset meanwhile (EPIPE): what
       * it was sent is still in the socket, and decides its class. */
      drain(fd, c);
      ended(fd, c, err);
      return;
    }
    c->state = OPEN;
    connected++;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
  int end = drain(fd, c);
  if (end >= 0) ended(fd, c, end);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: flood-attacker PORT SIZE\n"); return 2; }
  int port = atoi(argv[1]), size = atoi(argv[2]);
  if (port <= 0 || port > 65535 || size <= 0) { fprintf(stderr, "flood-attacker: bad PORT or SIZE\n"); return 2; }
  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  int max_fd = lim.rlim_cur > 1000000 ? 1000000 : (int)lim.rlim_cur;
  struct conn *conns = calloc((size_t)max_fd, sizeof *conns);
  if (conns == NULL) { perror("flood-attacker: calloc"); return 1; }
  struct sigaction sa = { .sa_handler = on_term };
  sigaction(SIGTERM, &sa, NULL);
  /* Never outlive the hostile process, however it ends (it may be SIGKILLed). */
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 0;
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) { perror("flood-attacker: epoll_create1"); return 1; }

  /* As setInterval(..., 500): the first burst 500 ms after the start. */
  double next = now_ms() + BURST_MS;
  struct epoll_event events[256];
  while (!stopping) {
    int wait = (int)(next - now_ms());
    int n = epoll_wait(epfd, events, 256, wait > 0 ? wait : 0);
    if (n < 0 && errno != EINTR) { perror("flood-attacker: epoll_wait"); return 1; }
    for (int i = 0; i < n; i++) ready(epfd, events[i].data.fd, events[i].events, &conns[events[i].data.fd]);
    double start = now_ms();
    if (start >= next) {
      burst(epfd, &to, size, conns, max_fd);
      next = start + BURST_MS; /* as setInterval: from when the burst ran */
    }
  }
  long open = 0;
  for (int fd = 0; fd < max_fd; fd++) if (conns[fd].state != 0) open++;
  /* Keys as hostile-clients.ts's; JSON-safe: the sample keeps printable ASCII only. */
  for (char *p = other_sample; *p; p++) if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') *p = '.';
  printf("{\"flood: connected\":%ld,\"flood: ERR too many connections\":%ld,"
         "\"flood: refused by the kernel (listeners paused)\":%ld,"
         "\"flood: reset unanswered (queued when the listeners paused)\":%ld,"
         "\"flood: open at stop\":%ld", connected, answered_err, refused, reset_unanswered, open);
  if (other > 0) printf(",\"flood: OTHER (%s)\":%ld", other_sample, other);
  printf("}\n");
  fflush(stdout);
  return 0;
}
