/**
 * Load generator for the three TCP protocols (seed, line, binary), usable as
 * a library (`runLoad`) and as a CLI.
 *
 * - seed: a new connection per request, C of them at a time.
 * - line / binary: C persistent connections, each keeping D requests in
 *   flight (pipelined; answers come back in request order).
 * - closed loop by default (send as soon as an answer frees a slot); with
 *   `rate` a fixed arrival schedule, and latency measured from each
 *   request's *intended* send time (the coordinated-omission correction of
 *   wrk2 and autocannon -R): a stalled server is charged for the requests it
 *   kept the client from sending.
 *
 * Every answer is checked byte for byte against the answer `runJob` gives for
 * its message, computed once per distinct message before the run.
 *
 * Cost per request is kept small so the client is not the bottleneck: the
 * requests of a run are encoded once into one immutable "script" buffer, so a
 * batch of k pipelined requests is one `socket.write(script.subarray(..))`
 * (no copy, and no buffer reuse hazard while a write is pending); answers are
 * found by scanning the received chunk for `\n` or reading the prefix, and
 * compared in place with `Buffer#compare`.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { type Histogram, build } from 'hdr-histogram-js';
import { encodeLengthPrefixed } from '../src/framing/length-prefix-decoder.js';
import { SEED_MAX_MESSAGE } from '../src/framing/seed-frame.js';
import { errorAnswer, runJob } from '../src/job/jobs.js';

export type Protocol = 'seed' | 'line' | 'binary';
export type MessageSetName = 'default' | 'trivial';

export interface LoadOptions {
  readonly port: number;
  readonly protocol: Protocol;
  /** Default 127.0.0.1. Anything but a loopback address needs `allowRemote`. */
  readonly host?: string;
  readonly allowRemote?: boolean;
  /** Binary length prefix, 2 (default) or 4 bytes. */
  readonly prefix?: 2 | 4;
  /** Concurrent connections (seed: concurrent requests). Default 8. */
  readonly connections?: number;
  /** Requests in flight per persistent connection. Default 16 (seed: always 1). */
  readonly depth?: number;
  /** Measured time in seconds (default 10 unless `requests` is given). */
  readonly durationS?: number;
  /** Stop after this many measured requests instead of after a duration. */
  readonly requests?: number;
  /** Total requests per second over all connections; absent: closed loop. */
  readonly rate?: number;
  /** Load applied, but not measured, before the measurement. Default 0. */
  readonly warmupS?: number;
  readonly messageSet?: MessageSetName;
  /** A request unanswered this long counts as an error (its connection is dropped). Default 5000 (JMeter's). */
  readonly timeoutMs?: number;
  /** A progress bar on stderr (only drawn on a TTY). */
  readonly progress?: boolean;
  /**
   * The warm-up lasts until this settles too (and at least warmupS): for
   * measuring once something else is in place, e.g. a flood that has filled
   * the server (the connections are open before it, and warm).
   */
  readonly warmUntil?: Promise<void>;
  /** Called once, when the warm-up ends and measurement begins. */
  readonly onMeasureStart?: () => void;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface WrongSample {
  readonly message: string;
  readonly expected: string;
  readonly got: string;
}

export interface LoadResult {
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly depth: number;
  readonly rate: number | null;
  readonly messageSet: MessageSetName;
  /** Measured answers (right and wrong). */
  readonly requests: number;
  /** Requests that got no answer (timeout, closed connection) plus failed connection attempts. */
  readonly errors: number;
  /** Answers that differ from the expected bytes. */
  readonly wrong: number;
  /** Every answer of the run, warm-up included (e.g. to compare with a log's record count). */
  readonly totalAnswered: number;
  /** From the start of measurement to the last measured answer. */
  readonly durationS: number;
  readonly rps: number;
  /** Microseconds; with `rate`, from each request's intended send time. */
  readonly latencyUs: Percentiles;
  /**
   * Microseconds from each request's actual write (a seed request: from its
   * connect), as a JMeter sample measures. With `rate` it leaves out the
   * client's own lateness in sending (its 1 ms tick, its process waiting
   * for a core); in closed loop it equals `latencyUs`.
   */
  readonly latencyFromWriteUs: Percentiles;
  /** This process's CPU (user + system) during the measurement. */
  readonly clientCpuS: number;
  readonly wrongSamples: readonly WrongSample[];
  readonly errorSamples: readonly string[];
}

// ── messages ────────────────────────────────────────────────────────────────

/**
 * The messages a run cycles through. Every one fits every protocol: 1..1024
 * bytes (the seed protocol's first read) and no `\n` (the line protocol's
 * delimiter). The default set mixes the original JMeter messages, prime and
 * non-prime counts, astral code points (UTF-16 would count them twice),
 * Python-strip whitespace, and messages the server must answer with ERR.
 */
export function messageSet(name: MessageSetName): readonly Buffer[] {
  const out: Buffer[] = [];
  const s = (text: string): void => void out.push(Buffer.from(text, 'utf8'));
  if (name === 'trivial') {
    for (let i = 1; i <= 64; i++) s(`abc${i}a`); // the original JMeter plan's messages: "2 sí"
    return out;
  }
  for (let i = 1; i <= 12; i++) s(`abc${i}a`);
  for (const n of [1, 2, 3, 4, 5, 7, 11, 12, 13, 31, 97, 100]) s('a'.repeat(n));
  s('x'.repeat(SEED_MAX_MESSAGE)); // the largest seed message
  s('é'.repeat(512)); // 1024 bytes, 512 code points
  s('€'.repeat(341)); // 1023 bytes
  s('sí'); s('síí'); s('ñandúñ'); s('über straße ß'); s('日本語の日本'); s('καλημέρα α'); s('مرحبا ا');
  s('😀😀😀'); s('👍🏽👍🏽'); s('🎉 party 🎉'); s('𝔘𝔫𝔦𝔠𝔬𝔡𝔢𝔢'); s('e\u0301e\u0301'); s('\uFEFFabcb');
  s('  abba  '); s('\tabcb\t'); s('\u00a0nbsp a\u00a0'); s('\u3000ideographic xx\u3000'); s('\u2003em ss\u2003');
  s('\x1c\x1dseparators zz\x1f'); s('\x85next line q\x85'); s('a\rba'); s('crlf aa\r'); s('\v\fvt ff f');
  s('   '); s('\t\u3000'); // only whitespace: ERR empty message
  out.push(Buffer.from([0x61, 0xff, 0x62])); // invalid UTF-8
  out.push(Buffer.from([0x61, 0xc3])); // truncated sequence
  out.push(Buffer.from([0xed, 0xa0, 0x80])); // an encoded surrogate
  out.push(Buffer.from([0xc0, 0xaf])); // overlong
  for (let i = 0; out.length < 64; i++) s(`msg ${i} ${'k'.repeat((i % 9) + 1)}`);
  return out;
}

/** The expected answer bytes of each message, from the job itself. */
export function expectedAnswers(messages: readonly Buffer[]): Buffer[] {
  return messages.map((m) => {
    const o = runJob('prime-count', m, 0);
    return Buffer.from(o.ok ? o.answer : errorAnswer(o.error), 'utf8');
  });
}

// ── the run ─────────────────────────────────────────────────────────────────

const LOOPBACK_NAMES = new Set(['localhost', '::1', '0:0:0:0:0:0:0:1']);

export function isLoopback(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  const v4 = host.toLowerCase().startsWith('::ffff:') ? host.slice(7) : host;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

const HISTOGRAM_MAX_US = 60_000_000;

function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: 3 });
}

function record(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : us);
}

const MAX_CARRY = 1 << 16;
const RECONNECT_DELAY_MS = 100;
const MAX_SAMPLES = 5;

/** State shared by the connections of one run. */
class Run {
  readonly host: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly prefix: 2 | 4;
  readonly connections: number;
  readonly depth: number;
  readonly rate: number | null;
  readonly timeoutMs: number;
  readonly messages: readonly Buffer[];
  readonly expected: readonly Buffer[];
  /** line/binary: every message encoded, then the first `depth` again, so any batch is contiguous. */
  readonly script: Buffer;
  readonly offsets: Int32Array;
  readonly histogram: Histogram = newHistogram();
  /** From each request's actual write (equal to `histogram` in closed loop). */
  readonly fromWrite: Histogram = newHistogram();

  /** Send times at or after this are measured (Infinity during warm-up). */
  measureStart = Infinity;
  /** No request is sent at or after this (rate mode: intended time). */
  sendUntil = Infinity;
  sending = true;
  /** Measured requests still allowed (requests mode). */
  budget = Infinity;
  measured = 0;
  errors = 0;
  wrong = 0;
  totalAnswered = 0;
  lastMeasuredAnswer = 0;
  /** Stall guard: when the last answer came, and how many errors there were then. */
  lastAnswer = performance.now();
  errorsAtLastAnswer = 0;
  readonly wrongSamples: WrongSample[] = [];
  readonly errorSamples: string[] = [];

  constructor(opts: LoadOptions, host: string) {
    this.host = host;
    this.port = opts.port;
    this.protocol = opts.protocol;
    this.prefix = opts.prefix ?? 2;
    this.connections = opts.connections ?? 8;
    this.depth = opts.protocol === 'seed' ? 1 : opts.depth ?? 16;
    this.rate = opts.rate ?? null;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.messages = messageSet(opts.messageSet ?? 'default');
    this.expected = expectedAnswers(this.messages);
    const encoded = this.messages.map((m) => (this.protocol === 'binary' ? encodeLengthPrefixed(m, this.prefix) : Buffer.concat([m, Buffer.from('\n')])));
    const n = encoded.length;
    const parts: Buffer[] = [];
    this.offsets = new Int32Array(n + this.depth + 1);
    let at = 0;
    for (let i = 0; i < n + this.depth; i++) {
      const e = encoded[i % n]!;
      parts.push(e);
      this.offsets[i] = at;
      at += e.length;
    }
    this.offsets[n + this.depth] = at;
    this.script = this.protocol === 'seed' ? Buffer.alloc(0) : Buffer.concat(parts, at);
  }

  /** Takes up to `want` sends out of the measured-request budget. */
  take(want: number, sendTime: number): number {
    if (!this.sending || want <= 0) return 0;
    if (sendTime < this.measureStart) return want;
    const k = Math.min(want, this.budget);
    this.budget -= k;
    return k;
  }

  /** `sentAt`: the intended send time in rate mode, else the write's; `wroteAt`: the write's. */
  answered(msgIndex: number, buf: Buffer, start: number, end: number, sentAt: number, wroteAt: number, now: number): void {
    this.totalAnswered++;
    this.lastAnswer = now;
    this.errorsAtLastAnswer = this.errors;
    const exp = this.expected[msgIndex]!;
    const right = end - start === exp.length && buf.compare(exp, 0, exp.length, start, end) === 0;
    if (sentAt < this.measureStart) {
      if (!right) this.wrongAnswer(msgIndex, buf.subarray(start, end)); // wrong is wrong, warm-up or not
      return;
    }
    this.measured++;
    this.lastMeasuredAnswer = now;
    if (!right) this.wrongAnswer(msgIndex, buf.subarray(start, end));
    record(this.histogram, now - sentAt);
    record(this.fromWrite, now - wroteAt);
  }

  wrongAnswer(msgIndex: number, got: Buffer): void {
    this.wrong++;
    if (this.wrongSamples.length < MAX_SAMPLES) {
      this.wrongSamples.push({
        message: this.messages[msgIndex]?.toString('utf8') ?? '(no request in flight)',
        expected: this.expected[msgIndex]?.toString('utf8') ?? '',
        got: got.toString('utf8'),
      });
    }
  }

  error(count: number, why: string): void {
    this.errors += count;
    if (this.errorSamples.length < MAX_SAMPLES && !this.errorSamples.includes(why)) this.errorSamples.push(why);
  }
}

/**
 * A persistent (line or binary) connection with up to `depth` requests in
 * flight. Requests go out in script order, so the message of the oldest
 * request in flight is known from its script position alone.
 */
class PipelinedConnection {
  #socket: net.Socket | null = null;
  #connected = false;
  #inflight = 0;
  /** Script position (mod message count) of the oldest request in flight and of the next to send. */
  #headPos: number;
  #sendPos: number;
  /** Send (or intended send) times, a ring of `depth` in request order. */
  readonly #sentAt: Float64Array;
  /** Actual write times, the same ring. */
  readonly #wroteAt: Float64Array;
  #sentHead = 0;
  #carry: Buffer | null = null;
  /** Last progress (a send from idle, or an answer): the timeout clock. */
  #waitingSince = 0;
  /** Rate mode: this connection's next intended send time and its spacing. */
  #nextIntended = 0;
  readonly #interval: number;
  done = false;

  constructor(readonly run: Run, readonly id: number, startAt: number) {
    const n = run.messages.length;
    this.#headPos = (id * 7) % n;
    this.#sendPos = this.#headPos;
    this.#sentAt = new Float64Array(run.depth);
    this.#wroteAt = new Float64Array(run.depth);
    this.#interval = run.rate === null ? 0 : (run.connections * 1000) / run.rate;
    this.#nextIntended = startAt + (id * this.#interval) / run.connections;
    this.onConnect = this.onConnect.bind(this);
    this.onData = this.onData.bind(this);
    this.onError = this.onError.bind(this);
    this.onClose = this.onClose.bind(this);
  }

  get inflight(): number {
    return this.#inflight;
  }

  connect(): void {
    const s = net.createConnection({ host: this.run.host, port: this.run.port });
    s.setNoDelay(true);
    s.on('connect', this.onConnect);
    s.on('data', this.onData);
    s.on('error', this.onError);
    s.on('close', this.onClose);
    this.#socket = s;
  }

  onConnect(): void {
    this.#connected = true;
    this.refill(performance.now());
  }

  onData(chunk: Buffer): void {
    const now = performance.now();
    const run = this.run;
    let buf = chunk;
    if (this.#carry !== null) {
      buf = Buffer.concat([this.#carry, chunk]);
      this.#carry = null;
    }
    let pos = 0;
    const len = buf.length;
    if (run.protocol === 'line') {
      for (let nl = buf.indexOf(10, pos); nl >= 0; nl = buf.indexOf(10, pos)) {
        if (!this.#answer(buf, pos, nl + 1, now)) return;
        pos = nl + 1;
      }
    } else {
      const p = run.prefix;
      while (len - pos >= p) {
        const n = p === 2 ? buf.readInt16BE(pos) : buf.readInt32BE(pos);
        if (n < 0) return this.#broken(`negative answer length ${n}`);
        if (len - pos - p < n) break;
        if (!this.#answer(buf, pos + p, pos + p + n, now)) return;
        pos += p + n;
      }
    }
    if (pos < len) {
      if (len - pos > MAX_CARRY) return this.#broken(`answer longer than ${MAX_CARRY} bytes`);
      this.#carry = Buffer.from(buf.subarray(pos)); // a copy: small, and frees the chunk
    }
    if (this.#inflight === 0 && !run.sending) return this.finish();
    this.refill(now);
  }

  /** False when the connection was dropped (an answer nobody asked for). */
  #answer(buf: Buffer, start: number, end: number, now: number): boolean {
    const run = this.run;
    if (this.#inflight === 0) {
      run.wrongAnswer(-1, buf.subarray(start, end));
      this.#broken('an answer with no request in flight');
      return false;
    }
    run.answered(this.#headPos, buf, start, end, this.#sentAt[this.#sentHead]!, this.#wroteAt[this.#sentHead]!, now);
    this.#headPos = this.#headPos + 1 === run.messages.length ? 0 : this.#headPos + 1;
    this.#sentHead = this.#sentHead + 1 === run.depth ? 0 : this.#sentHead + 1;
    this.#inflight--;
    this.#waitingSince = now;
    return true;
  }

  /** Sends what the depth, the schedule and the budget allow, as one write. */
  refill(now: number): void {
    const run = this.run;
    if (!this.#connected || !run.sending) return;
    let k = run.depth - this.#inflight;
    let sendTime = now;
    if (run.rate !== null) {
      const until = Math.min(now, run.sendUntil - 1e-9);
      const due = until >= this.#nextIntended ? Math.floor((until - this.#nextIntended) / this.#interval) + 1 : 0;
      if (due < k) k = due;
      sendTime = this.#nextIntended;
    } else if (now >= run.sendUntil) {
      return;
    }
    k = run.take(k, sendTime);
    if (k <= 0) return;
    const start = this.#sendPos;
    this.#socket!.write(run.script.subarray(run.offsets[start]!, run.offsets[start + k]!));
    if (this.#inflight === 0) this.#waitingSince = now;
    let slot = this.#sentHead + this.#inflight;
    for (let i = 0; i < k; i++, slot++) {
      if (slot >= run.depth) slot -= run.depth;
      this.#wroteAt[slot] = now;
      if (run.rate !== null) {
        this.#sentAt[slot] = this.#nextIntended;
        this.#nextIntended += this.#interval;
      } else {
        this.#sentAt[slot] = now;
      }
    }
    this.#inflight += k;
    this.#sendPos = (start + k) % run.messages.length;
  }

  /** Periodic: the timeout, and (rate mode) sends that fell due. */
  tick(now: number): void {
    if (this.#inflight > 0 && now - this.#waitingSince > this.run.timeoutMs) {
      this.#broken(`timeout: ${this.#inflight} requests unanswered after ${this.run.timeoutMs} ms`);
      return;
    }
    if (this.run.rate !== null) this.refill(now);
  }

  /** Sending has stopped: close once nothing is in flight. */
  finish(): void {
    if (this.#inflight > 0) return;
    if (this.#socket === null) {
      this.done = true;
      return;
    }
    this.#socket.end();
  }

  /** The drain deadline passed: drop the connection, whatever it still waits for. */
  abort(): void {
    if (this.done) return;
    if (this.#socket === null) {
      this.done = true;
      return;
    }
    this.#broken(`dropped ${this.#inflight} requests and the connection ${this.run.timeoutMs} ms after the end (no answer or no FIN)`);
  }

  #broken(why: string): void {
    this.run.error(this.#inflight, why);
    this.#inflight = 0;
    this.#socket?.destroy();
  }

  onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? err.message;
    // A failed connect costs no request, but must not go unnoticed.
    this.run.error(this.#connected ? 0 : 1, `connection error: ${code}`);
  }

  onClose(): void {
    if (this.#inflight > 0) this.run.error(this.#inflight, 'connection closed with requests in flight');
    this.#inflight = 0;
    this.#sentHead = 0;
    this.#headPos = this.#sendPos;
    this.#carry = null;
    this.#connected = false;
    this.#socket = null;
    if (!this.run.sending) {
      this.done = true;
      return;
    }
    setTimeout(() => { if (this.run.sending) this.connect(); else this.done = true; }, RECONNECT_DELAY_MS);
  }
}

/**
 * The seed protocol: one connection per request. The latency covers what a
 * JMeter sample covers: connect, send, and the answer up to the server's FIN.
 */
class SeedSlot {
  #socket: net.Socket | null = null;
  #msg = 0;
  #sentAt = 0;
  /** When the connect began: a seed request's write includes its connect, as a JMeter sample does. */
  #startedAt = 0;
  #chunks: Buffer[] = [];
  #answered = false;
  busy = false;

  constructor(readonly run: Run, private readonly cursor: { next: number }, readonly onFree: (slot: SeedSlot) => void) {
    this.onConnect = this.onConnect.bind(this);
    this.onData = this.onData.bind(this);
    this.onEnd = this.onEnd.bind(this);
    this.onError = this.onError.bind(this);
    this.onTimeout = this.onTimeout.bind(this);
    this.onClose = this.onClose.bind(this);
  }

  /** Starts one request whose (intended) send time is `sentAt`. */
  start(sentAt: number): void {
    const run = this.run;
    this.busy = true;
    this.#msg = this.cursor.next;
    this.cursor.next = this.cursor.next + 1 === run.messages.length ? 0 : this.cursor.next + 1;
    this.#sentAt = sentAt;
    this.#startedAt = performance.now();
    this.#chunks = [];
    this.#answered = false;
    // Handlers are bound once per slot: a new socket starts only after the
    // previous one's 'close', its last event, so no stale event can arrive.
    const s = net.createConnection({ host: run.host, port: run.port });
    s.setNoDelay(true);
    s.setTimeout(run.timeoutMs);
    s.on('connect', this.onConnect);
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('error', this.onError);
    s.on('timeout', this.onTimeout);
    s.on('close', this.onClose);
    this.#socket = s;
  }

  onConnect(): void {
    this.#socket!.write(this.run.messages[this.#msg]!);
  }

  onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onEnd(): void {
    // allowHalfOpen is false: Node ends our side for us.
    this.#answered = true;
    const answer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.run.answered(this.#msg, answer, 0, answer.length, this.#sentAt, this.#startedAt, performance.now());
  }

  onError(err: Error): void {
    if (this.#answered) return;
    this.#answered = true;
    this.run.error(1, `connection error: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  }

  onTimeout(): void {
    if (!this.#answered) {
      this.#answered = true;
      this.run.error(1, `timeout: no answer after ${this.run.timeoutMs} ms`);
    }
    this.#socket!.destroy();
  }

  onClose(): void {
    if (!this.#answered) this.run.error(1, 'connection closed without an answer');
    this.#socket = null;
    this.busy = false;
    this.onFree(this);
  }
}

/** Runs one load test and resolves with its measurements. Never rejects on server errors; counts them. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && opts.allowRemote !== true) {
    throw new Error(`refusing to load ${host}: not a loopback address (pass allowRemote / --allow-remote to target another host)`);
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) throw new Error(`bad port ${opts.port}`);
  const run = new Run(opts, host);
  if (!Number.isInteger(run.connections) || run.connections < 1) throw new Error(`connections must be a positive integer, got ${run.connections}`);
  if (!Number.isInteger(run.depth) || run.depth < 1) throw new Error(`depth must be a positive integer, got ${run.depth}`);
  if (run.rate !== null && !(run.rate > 0)) throw new Error(`rate must be positive, got ${run.rate}`);
  const requests = opts.requests ?? null;
  if (requests !== null && (!Number.isInteger(requests) || requests < 1)) throw new Error(`requests must be a positive integer, got ${requests}`);
  const durationS = requests === null ? opts.durationS ?? 10 : null;
  if (durationS !== null && !(durationS > 0)) throw new Error(`duration must be positive, got ${durationS}`);
  const warmupS = opts.warmupS ?? 0;
  if (requests !== null) run.budget = requests;

  const t0 = performance.now();
  let cpu0 = process.cpuUsage();
  let cpuAtEnd: NodeJS.CpuUsage | null = null;
  const timers: NodeJS.Timeout[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });

  // Connections (or seed slots).
  const pipes: PipelinedConnection[] = [];
  const slots: SeedSlot[] = [];
  const freeSlots: SeedSlot[] = [];
  let seedNextIntended = t0;
  const seedInterval = run.rate === null ? 0 : 1000 / run.rate;
  const checkDone = (): void => {
    if (run.sending) return;
    const allDone = run.protocol === 'seed' ? slots.every((s) => !s.busy) : pipes.every((p) => p.done);
    if (allDone) resolveDone();
  };
  const seedLaunch = (now: number): void => {
    while (run.sending && freeSlots.length > 0) {
      let sendTime = now;
      if (run.rate !== null) {
        if (seedNextIntended > now || seedNextIntended >= run.sendUntil) return;
        sendTime = seedNextIntended;
      } else if (now >= run.sendUntil) {
        return;
      }
      if (run.take(1, sendTime) === 0) return;
      if (run.rate !== null) seedNextIntended += seedInterval;
      freeSlots.pop()!.start(sendTime);
    }
  };
  const onFree = (slot: SeedSlot): void => {
    freeSlots.push(slot);
    if (run.sending) seedLaunch(performance.now());
    else checkDone();
  };

  // Progress bar: a TTY only, and only for runs long enough to watch.
  const expectedS = warmupS + (durationS ?? 0);
  const bar = opts.progress === true && process.stderr.isTTY && (requests !== null || expectedS > 3)
    ? new cliProgress.SingleBar({
      format: ' {bar} {percentage}% | {value}/{total} | {rps} req/s | wrong {wrong} | errors {errors}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(requests ?? Math.round(expectedS), 0, { rps: 0, wrong: 0, errors: 0 });

  const stopSending = (): void => {
    if (!run.sending) return;
    run.sending = false;
    for (const p of pipes) p.finish();
    // A server that neither answers nor closes must not keep the run alive:
    // after timeoutMs, drop what is left (seed sockets time out by themselves).
    timers.push(setTimeout(() => { for (const p of pipes) p.abort(); }, run.timeoutMs));
    checkDone();
  };
  const startMeasuring = (): void => {
    // Without warm-up, measurement starts at t0: the first sends are dated t0
    // (seedLaunch(t0)), and would otherwise escape the request budget.
    const now = warmupS > 0 || opts.warmUntil !== undefined ? performance.now() : t0;
    run.measureStart = now;
    if (durationS !== null) {
      run.sendUntil = now + durationS * 1000;
      timers.push(setTimeout(stopSending, durationS * 1000));
    }
    cpu0 = process.cpuUsage();
    opts.onMeasureStart?.();
  };

  const tickMs = run.rate !== null ? 1 : 100;
  let lastBar = 0;
  timers.push(setInterval(() => {
    const now = performance.now();
    if (run.protocol === 'seed') {
      if (run.rate !== null) seedLaunch(now);
    } else {
      for (const p of pipes) p.tick(now);
    }
    if (run.budget === 0) stopSending();
    if (bar !== null && now - lastBar >= 200) {
      lastBar = now;
      const measuringS = Number.isFinite(run.measureStart) ? (now - run.measureStart) / 1000 : 0;
      const value = requests !== null ? run.measured : Math.min(Math.round((now - t0) / 1000), Math.round(expectedS));
      bar.update(value, { rps: measuringS > 0 ? Math.round(run.measured / measuringS) : 0, wrong: run.wrong, errors: run.errors });
    }
  }, tickMs));

  if (opts.warmUntil !== undefined) {
    const warmedUp = Promise.all([opts.warmUntil, new Promise<void>((resolve) => timers.push(setTimeout(resolve, warmupS * 1000)))]);
    void warmedUp.then(startMeasuring, startMeasuring);
  } else if (warmupS > 0) {
    timers.push(setTimeout(startMeasuring, warmupS * 1000));
  } else {
    startMeasuring();
  }

  if (run.protocol === 'seed') {
    const cursor = { next: 0 };
    for (let i = 0; i < run.connections; i++) {
      const s = new SeedSlot(run, cursor, onFree);
      slots.push(s);
      freeSlots.push(s);
    }
    seedLaunch(t0);
  } else {
    for (let i = 0; i < run.connections; i++) {
      const p = new PipelinedConnection(run, i, t0);
      pipes.push(p);
      p.connect();
    }
  }
  // Closing connections report back through the tick too.
  // Stall guard: without it a run with a request budget against a server that
  // refuses connections (or accepts and never answers) would retry forever.
  // Failures and no answer for timeoutMs: the server is gone, stop.
  timers.push(setInterval(() => {
    if (run.sending && run.errors > run.errorsAtLastAnswer && performance.now() - run.lastAnswer > run.timeoutMs) {
      run.error(0, `giving up: errors and no answer for ${run.timeoutMs} ms`);
      stopSending();
    }
    if (run.budget === 0) stopSending();
    checkDone();
  }, 20));

  await done;
  cpuAtEnd = process.cpuUsage(cpu0);
  for (const t of timers) clearTimeout(t);
  bar?.stop();

  const measureStart = Number.isFinite(run.measureStart) ? run.measureStart : t0;
  const elapsedMs = run.measured > 0 ? run.lastMeasuredAnswer - measureStart : performance.now() - measureStart;
  const durationOut = Math.max(elapsedMs, 1e-3) / 1000;
  const latencyUs = percentiles(run.histogram);
  const latencyFromWriteUs = percentiles(run.fromWrite);
  return {
    protocol: run.protocol,
    host,
    port: run.port,
    connections: run.connections,
    depth: run.depth,
    rate: run.rate,
    messageSet: opts.messageSet ?? 'default',
    requests: run.measured,
    errors: run.errors,
    wrong: run.wrong,
    totalAnswered: run.totalAnswered,
    durationS: durationOut,
    rps: run.measured / durationOut,
    latencyUs,
    latencyFromWriteUs,
    clientCpuS: (cpuAtEnd.user + cpuAtEnd.system) / 1e6,
    wrongSamples: run.wrongSamples,
    errorSamples: run.errorSamples,
  };
}

/** Reads a histogram's figures and frees it (its memory is WebAssembly's or a typed array's). */
function percentiles(h: Histogram): Percentiles {
  const empty = h.totalCount === 0;
  const out: Percentiles = {
    p50: empty ? 0 : h.getValueAtPercentile(50),
    p90: empty ? 0 : h.getValueAtPercentile(90),
    p99: empty ? 0 : h.getValueAtPercentile(99),
    p999: empty ? 0 : h.getValueAtPercentile(99.9),
    max: empty ? 0 : h.maxValue,
    mean: empty ? 0 : Math.round(h.mean),
  };
  h.destroy();
  return out;
}

// ── CLI ─────────────────────────────────────────────────────────────────────

const USAGE = `Usage: node dist/profiling/load-client.js --port P --protocol seed|line|binary [options]
  --host H             target (default 127.0.0.1; loopback only unless --allow-remote)
  --prefix 2|4         binary length prefix bytes (default 2)
  --connections C      concurrent connections (default 8)
  --depth D            requests in flight per line/binary connection (default 16)
  --duration S         measured seconds (default 10)   | --requests N  measured requests
  --rate R             fixed rate, R requests/s in total, latency from intended send times
  --warmup S           unmeasured load first (default 0)
  --message-set NAME   default (64 messages, Unicode and ERR cases) or trivial
  --timeout-ms MS      a request unanswered this long is an error (default 5000)
  --json               one JSON object on stdout
Exit status: 0 ok, 1 wrong answers, 2 errors (no answer), 64 bad usage.`;

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

/** A flag's value, one of `allowed` (undefined when absent), or a clear error. */
export function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function parseLoadArgs(argv: readonly string[]): (LoadOptions & { json: boolean }) | 'help' {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' }, protocol: { type: 'string' }, host: { type: 'string' }, prefix: { type: 'string' },
      connections: { type: 'string' }, depth: { type: 'string' }, duration: { type: 'string' }, requests: { type: 'string' },
      rate: { type: 'string' }, warmup: { type: 'string' }, 'message-set': { type: 'string' }, 'timeout-ms': { type: 'string' },
      json: { type: 'boolean' }, 'allow-remote': { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.help === true) return 'help';
  if (v.port === undefined || v.protocol === undefined) throw new Error('--port and --protocol are required');
  if (v.duration !== undefined && v.requests !== undefined) throw new Error('give --duration or --requests, not both');
  const prefix = v.prefix === undefined ? undefined : Number(v.prefix);
  if (prefix !== undefined && prefix !== 2 && prefix !== 4) throw new Error(`--prefix must be 2 or 4, got "${v.prefix}"`);
  const warmup = v.warmup === undefined ? undefined : Number(v.warmup);
  if (warmup !== undefined && !(warmup >= 0)) throw new Error(`--warmup must be >= 0, got "${v.warmup}"`);
  const opts: LoadOptions & { json: boolean } = {
    port: Number(v.port),
    protocol: oneOf('protocol', v.protocol, ['seed', 'line', 'binary'] as const)!,
    host: v.host,
    allowRemote: v['allow-remote'] === true,
    prefix,
    connections: positive('connections', v.connections),
    depth: positive('depth', v.depth),
    durationS: positive('duration', v.duration),
    requests: positive('requests', v.requests),
    rate: positive('rate', v.rate),
    warmupS: warmup,
    messageSet: oneOf('message-set', v['message-set'], ['default', 'trivial'] as const),
    timeoutMs: positive('timeout-ms', v['timeout-ms']),
    json: v.json === true,
    progress: v.json !== true,
  };
  return opts;
}

export function formatResult(r: LoadResult): string {
  const l = r.latencyUs;
  const fw = r.latencyFromWriteUs;
  const mode = r.rate === null ? 'closed loop' : `fixed rate ${r.rate} req/s (latency from intended send time)`;
  const lines = [
    `${r.protocol} ${r.host}:${r.port}  connections ${r.connections}  depth ${r.depth}  ${mode}  messages ${r.messageSet}`,
    `requests ${r.requests}  in ${r.durationS.toFixed(2)} s  = ${Math.round(r.rps)} req/s   errors ${r.errors}  wrong ${r.wrong}`,
    `latency µs  p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}  mean ${l.mean}`,
    ...(r.rate === null ? [] : [`  from the actual write: p50 ${fw.p50}  p90 ${fw.p90}  p99 ${fw.p99}  p99.9 ${fw.p999}  max ${fw.max}  mean ${fw.mean}`]),
    `client CPU ${r.clientCpuS.toFixed(2)} s (${Math.round((100 * r.clientCpuS) / r.durationS)}% of one core)`,
  ];
  for (const w of r.wrongSamples) lines.push(`WRONG: message ${JSON.stringify(w.message)} expected ${JSON.stringify(w.expected)} got ${JSON.stringify(w.got)}`);
  for (const e of r.errorSamples) lines.push(`ERROR: ${e}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseLoadArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`load-client: ${(err as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 64;
    return;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let r: LoadResult;
  try {
    r = await runLoad(parsed);
  } catch (err) {
    // runLoad throws only for bad options (a failing server is counted, not thrown).
    process.stderr.write(`load-client: ${(err as Error).message}\n`);
    process.exitCode = 64;
    return;
  }
  if (parsed.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`${formatResult(r)}\n`);
  if (r.wrong > 0) {
    process.stderr.write(`load-client: FAILED: ${r.wrong} wrong answers\n`);
    process.exitCode = 1;
  } else if (r.errors > 0) {
    process.stderr.write(`load-client: ${r.errors} requests or connections failed\n`);
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`load-client: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
