/**
 * The main thread: sockets, framing, the job ring's producer side, the
 * completion ring's consumer side. It never blocks: it waits for completions
 * with one armed Atomics.waitAsync at a time and drains them in batches.
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { Queue } from 'mnemonist';
import { MpscRing, SpmcRing } from 'native-queue';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type AnswerSink, Connection, type ConnectionHost, type Framing } from './connection.js';
import { ConnectionTable } from './connection-table.js';
import { errorAnswer } from './job/jobs.js';
import { binaryFraming } from './listeners/binary-framing.js';
import { HttpFront, type HttpFrontHost } from './listeners/http-front.js';
import { lineFraming } from './listeners/line-framing.js';
import { RefusalGate } from './listeners/refusal-gate.js';
import { seedFraming } from './listeners/seed-framing.js';
import { limitSendBuffer } from './listeners/send-buffer.js';
import { formatLogRecord } from './log-format/log-fields.js';
import { Metrics } from './metrics/metrics-registry.js';
import { Outcome, RequestMetrics } from './metrics/request-metrics.js';
import { createThreadCounters } from './metrics/thread-counters.js';
import {
  COMPLETION_HEADER_BYTES, CompletionType, JOB_HEADER_BYTES, LISTENER_NAMES, type ListenerCode, MAX_IP_BYTES, NEVER_DURABLE,
  STATUS_ERROR, STATUS_INTERNAL, STATUS_UNLOGGED, preciseNow, ringView,
} from './records.js';
import {
  type FromWriter, WORKER_STATE_STRIDE, WS_BUSY, WS_CONN_ID, WS_SEQ, type WorkerInit, type WriterInit,
} from './thread-messages.js';

const COMPLETION_RING_BYTES = 1 << 20;
const LOG_RING_BYTES = 1 << 22;
const LOG_MAX_RECORD = 1 << 20;
const EMPTY = new Uint8Array(0);
const TOO_MANY_CONNECTIONS = Buffer.from('ERR too many connections\n');

export interface ServerSummary {
  readonly answered: number;
  readonly records: number;
}

export class Server implements ConnectionHost, HttpFrontHost {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #jobs: SpmcRing;
  readonly #jobView: DataView;
  readonly #completions: MpscRing;
  readonly #logRing: MpscRing;
  readonly #workerState: SharedArrayBuffer;
  readonly #threadCounters: SharedArrayBuffer;
  readonly #requests = new RequestMetrics();
  #metrics: Metrics | null = null;
  #http: HttpFront | null = null;
  readonly #workers: (Worker | null)[];
  #writer: Worker | null = null;
  /** The framed listeners (seed, line, binary) and the ports they bound: a pause reopens them there. */
  readonly #listeners: { readonly server: net.Server; readonly port: number }[] = [];
  readonly #gate: RefusalGate;
  /** performance.now() of the last pause that was logged: a flood logs once a second, not every window. */
  #pauseLoggedAt = -Infinity;
  #logReopen = false;
  #sendBufferWarned = false;
  #reopenRetry: NodeJS.Timeout | null = null;
  readonly #table: ConnectionTable;
  readonly #waitingForSpace = new Queue<Connection>();
  readonly #waitingForLog = new Set<Connection>();
  /** Log lines the main thread must write itself (worker deaths), waiting for ring room. */
  readonly #ownLogLines = new Queue<{ line: string; conn: Connection; seq: number; answer: Buffer }>();
  #written = 0;
  #durable = 0;
  #writerFailedReason: string | null = null;
  #draining = false;
  #writerRecords = 0;
  #drainResolve: (() => void) | null = null;
  readonly #writerClosed: Promise<void>;
  #writerClosedResolve!: () => void;
  readonly ports: Record<string, number> = {};
  readonly maxInflight: number;

  constructor(config: Config, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.maxInflight = config.maxInflight;
    // A job record is its header, the client address and the whole frame: a
    // frame of --max-frame bytes must fit (the ring's default 64 KiB would
    // make tryClaim throw on the main thread).
    this.#jobs = SpmcRing.create({ capacity: config.jobRingBytes, maxPayload: JOB_HEADER_BYTES + MAX_IP_BYTES + config.maxFrame },
      { producerSlot: 0 });
    this.#jobView = ringView(this.#jobs.data);
    // An answer can be as long as a frame (the echo job): a completion record
    // must hold one, and the ring two (config keeps --max-frame under half
    // the job ring).
    this.#completions = MpscRing.create({
      capacity: Math.max(COMPLETION_RING_BYTES, config.jobRingBytes),
      maxPayload: COMPLETION_HEADER_BYTES + config.maxFrame + 1,
    }, { consumerSlot: 0 });
    this.#logRing = MpscRing.create({ capacity: LOG_RING_BYTES, maxPayload: LOG_MAX_RECORD },
      { producerSlot: 31, consumerSlot: 31 });
    this.#workerState = new SharedArrayBuffer(config.workers * WORKER_STATE_STRIDE * 4);
    this.#threadCounters = createThreadCounters(config.workers);
    this.#workers = new Array<Worker | null>(config.workers).fill(null);
    this.#table = new ConnectionTable(config.maxConnections);
    this.#gate = new RefusalGate(config.refusalsPerSecond, config.refusalWindowMs, { close: () => this.#pauseListeners(), reopen: () => this.#reopenListeners() });
    const c = this.#completions.data;
    this.#completionView = ringView(c);
    this.#completionBytes = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    this.#writerClosed = new Promise((resolve) => { this.#writerClosedResolve = resolve; });
  }

  get writerFailed(): boolean {
    return this.#writerFailedReason !== null;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async start(): Promise<void> {
    this.#startWriter();
    for (let i = 0; i < this.#config.workers; i++) this.#startWorker(i);
    this.#completionLoop().catch((err: unknown) => {
      // A bug on the main thread's completion path would silently stall every
      // connection: crash loudly instead.
      this.#log.fatal({ err }, 'completion loop failed');
      process.exit(70);
    });
    const c = this.#config;
    const listen: [string, number | null, Framing][] = [
      ['seed', c.seedPort, seedFraming],
      ['line', c.linePort, lineFraming(c.maxFrame)],
      ['binary', c.binaryPort, binaryFraming(c.binaryPrefix, c.maxFrame)],
    ];
    for (const [name, port, framing] of listen) {
      if (port === null) continue;
      this.ports[name] = await this.#listen(port, framing);
    }
    if (c.httpPort !== null) {
      // Metrics exist only with the HTTP front: without it, nothing (not even
      // the event-loop delay monitor's timer) runs for them.
      this.#metrics = new Metrics({
        requests: this.#requests,
        rings: [
          { name: 'job', buffer: this.#jobs.buffer },
          { name: 'completion', buffer: this.#completions.buffer },
          { name: 'log', buffer: this.#logRing.buffer },
        ],
        threadCounters: this.#threadCounters,
        workers: c.workers,
        listenerPauses: () => this.#gate.pauses,
      });
      this.#http = new HttpFront(this, { host: c.host, port: c.httpPort, maxFrame: c.maxFrame, idleTimeoutMs: c.idleTimeoutMs });
      this.ports['http'] = await this.#http.listen();
    }
  }

  #listen(port: number, framing: Framing): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket, framing));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.#config.host, () => {
        server.off('error', reject);
        const bound = (server.address() as net.AddressInfo).port;
        this.#listeners.push({ server, port: bound });
        server.on('error', (err) => {
          this.#log.error({ err, port: bound }, 'listener error');
          // A reopen after a pause failed (the port was taken meanwhile): try again.
          if (!server.listening) this.#retryReopen();
        });
        resolve(bound);
      });
    });
  }

  /** The refusal budget is spent (RefusalGate): stop accepting until its window ends. */
  #pauseListeners(): void {
    for (const { server } of this.#listeners) server.close();
    const now = performance.now();
    if (now - this.#pauseLoggedAt < 1000) return;
    this.#pauseLoggedAt = now;
    this.#logReopen = true;
    this.#log.warn({ refusalsPerSecond: this.#config.refusalsPerSecond, pauses: this.#gate.pauses },
      `connection flood past --max-connections: listeners closed for the rest of a ${this.#config.refusalWindowMs} ms window; the kernel refuses new connections`);
  }

  #reopenListeners(): void {
    if (this.#draining) return;
    let pending = 0;
    for (const { server, port } of this.#listeners) {
      if (server.listening) continue;
      pending++;
      server.listen(port, this.#config.host, () => {
        // Paused again (or draining) while it was binding: the close then
        // found nothing to close, so close now.
        if (this.#gate.paused || this.#draining) {
          server.close();
          return;
        }
        if (--pending === 0 && this.#logReopen) {
          this.#logReopen = false;
          this.#log.info({ pauses: this.#gate.pauses }, 'listeners reopened');
        }
      });
    }
  }

  #retryReopen(): void {
    if (this.#draining || this.#reopenRetry !== null) return;
    this.#reopenRetry = setTimeout(() => {
      this.#reopenRetry = null;
      this.#reopenListeners();
    }, 1000);
  }

  #accept(socket: net.Socket, framing: Framing): void {
    if (this.#draining) { socket.destroy(); return; }
    const conn = this.openConnection(socket, framing, socket);
    if (conn === null) {
      // Over --max-connections: a clear answer and a clean close.
      socket.on('error', () => socket.destroy());
      socket.end(framing.frameAnswer(TOO_MANY_CONNECTIONS, 0, TOO_MANY_CONNECTIONS.length));
      socket.setTimeout(1000, () => socket.destroy());
      this.#gate.refused();
      return;
    }
    socket.setTimeout(framing.oneShot ? this.#config.seedTimeoutMs : this.#config.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      conn.onInput(chunk);
      this.#jobs.publish(); // one store and one wake-up check per read, not per frame
    });
    socket.on('end', () => conn.readEnded());
    socket.on('drain', () => conn.writable());
    socket.on('timeout', () => {
      // The original closes a seed connection that sends nothing in 5 s, without an answer.
      if (framing.oneShot && !conn.ignoreInput) socket.destroy();
      else conn.idle();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => conn.onClose());
  }

  /** A connection id and its Connection, or null (counted as rejected) over --max-connections. */
  openConnection(sink: AnswerSink, framing: Framing, socket: net.Socket): Connection | null {
    const id = this.#table.allocate();
    const listener = LISTENER_NAMES.indexOf(framing.listener) as ListenerCode;
    if (id < 0) {
      this.#requests.rejected(listener);
      return null;
    }
    // Bounds what a peer that does not read can make the server produce
    // before its writes fail and it stops being read (listeners/send-buffer.ts).
    // A seed connection gets one answer: nothing to bound, and no syscall
    // added to the protocol whose cost is per connection.
    if (this.#config.sendBuffer > 0 && !framing.oneShot) {
      const err = limitSendBuffer(socket, this.#config.sendBuffer);
      if (err !== null && !this.#sendBufferWarned) {
        this.#sendBufferWarned = true; // once: the cause is the same for every connection
        this.#log.warn({ err }, '--send-buffer could not be set on a connection; it keeps the kernel\'s autotuning');
      }
    }
    const ip = (socket.remoteAddress ?? '?').slice(0, MAX_IP_BYTES);
    const conn = new Connection(id, sink, framing, this, ip, socket.remotePort ?? 0);
    this.#table.set(id, conn);
    this.#requests.openConnections[listener]! += 1;
    return conn;
  }

  // ── HttpFrontHost ─────────────────────────────────────────────────────────

  rejected(listener: ListenerCode): void {
    this.#requests.rejected(listener);
  }

  publishJobs(): void {
    this.#jobs.publish();
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    const m = this.#metrics!;
    return { contentType: m.contentType, body: await m.render() };
  }

  // ── ConnectionHost ────────────────────────────────────────────────────────

  tryEnqueue(conn: Connection, seq: number, buf: Buffer, start: number, end: number): boolean {
    const ipLength = conn.ipBytes.length;
    const length = JOB_HEADER_BYTES + ipLength + (end - start);
    const at = this.#jobs.tryClaim(length);
    if (at < 0) return false;
    const v = this.#jobView;
    v.setUint32(at, conn.id, true);
    v.setUint32(at + 4, seq, true);
    v.setFloat64(at + 8, preciseNow(), true);
    v.setUint16(at + 16, conn.port, true);
    v.setUint8(at + 18, conn.listenerCode);
    v.setUint8(at + 19, ipLength);
    const data = this.#jobs.data;
    data.set(conn.ipBytes, at + JOB_HEADER_BYTES);
    buf.copy(data, at + JOB_HEADER_BYTES + ipLength, start, end);
    this.#jobs.commit(length, false);
    return true;
  }

  waitForRingSpace(conn: Connection): void {
    this.#waitingForSpace.enqueue(conn);
  }

  isDurable(ticket: number): boolean {
    if (ticket === NEVER_DURABLE) return false;
    switch (this.#config.ack) {
      case 'processed': return true;
      case 'written': return ((this.#written - ticket) | 0) >= 0;
      case 'fsync': return ((this.#durable - ticket) | 0) >= 0;
      default: {
        const never: never = this.#config.ack;
        throw new Error(`this should not happen: ack ${String(never)}`);
      }
    }
  }

  answered(listener: ListenerCode, outcome: Outcome, startedAt: number, now: number): void {
    this.#requests.answered(listener, outcome, startedAt, now);
  }

  closed(conn: Connection, _unanswered: number): void {
    this.#table.release(conn.id);
    this.#gate.roomFreed();
    this.#requests.openConnections[conn.listenerCode]! -= 1;
    this.#waitingForLog.delete(conn);
    this.#checkDrained();
  }

  // ── completions ───────────────────────────────────────────────────────────

  readonly #onCompletion = (data: Uint8Array, index: number, length: number): void => {
    const view = this.#completionView;
    const type = data[index];
    switch (type) {
      case CompletionType.JobDone: {
        const conn = this.#table.get(view.getUint32(index + 4, true));
        if (conn === undefined) return; // the client left; its answer has nowhere to go
        const status = view.getUint8(index + 1);
        const unlogged = (status & STATUS_UNLOGGED) !== 0;
        const outcome = (status & STATUS_INTERNAL) !== 0 ? Outcome.Internal
          : (status & STATUS_ERROR) !== 0 ? Outcome.Error : Outcome.Ok;
        // Framed straight from the ring: one allocation and one copy per answer.
        conn.complete(view.getUint32(index + 8, true), this.#completionBytes, index + COMPLETION_HEADER_BYTES, index + length,
          this.#config.ack === 'processed' ? -1 : unlogged ? NEVER_DURABLE : view.getInt32(index + 12, true), outcome);
        this.#dirty.add(conn);
        return;
      }
      case CompletionType.Watermark:
        this.#written = view.getInt32(index + 4, true);
        this.#durable = view.getInt32(index + 8, true);
        for (const conn of this.#waitingForLog) this.#dirty.add(conn);
        this.#waitingForLog.clear();
        return;
      case CompletionType.WriterFailed:
        return;
      default:
        throw new Error(`this should not happen: completion type ${String(type)}`);
    }
  };
  readonly #completionView: DataView;
  readonly #completionBytes: Buffer;
  readonly #dirty = new Set<Connection>();

  async #completionLoop(): Promise<void> {
    for (;;) {
      // After a drain that found work, let the event loop run one turn (socket
      // reads, writes) before arming a wait: under load more completions have
      // arrived by then, so workers need not wake this thread for each one.
      if (this.#drainCompletions() > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (await this.#completions.whenData() === 'closed') {
        this.#drainCompletions();
        return;
      }
    }
  }

  /** Returns how many completion records it took. */
  #drainCompletions(): number {
    const taken = this.#completions.drain(this.#onCompletion);
    for (const conn of this.#dirty) {
      if (conn.flush()) this.#waitingForLog.add(conn);
    }
    this.#dirty.clear();
    this.#writeOwnLogLines();
    // Completions free job-ring space: let blocked connections in, in order.
    while (this.#waitingForSpace.size > 0) {
      const conn = this.#waitingForSpace.dequeue()!;
      // Still full: it queued itself again, at the back; stop for this drain.
      if (!conn.isClosed && conn.retryOverflow(true) === 'ring-full') break;
    }
    this.#jobs.publish();
    this.#checkDrained();
    return taken;
  }

  // ── workers ───────────────────────────────────────────────────────────────

  #startWorker(index: number): void {
    const init: WorkerInit = {
      index,
      jobRing: this.#jobs.buffer,
      completionRing: this.#completions.buffer,
      logRing: this.#logRing.buffer,
      workerState: this.#workerState,
      threadCounters: this.#threadCounters,
      job: this.#config.job,
      jobWork: this.#config.jobWork,
      logFormat: this.#config.logFormat,
      allowFaultInjection: this.#config.allowFaultInjection,
      queue: this.#config.queue,
    };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, name: `worker-${index}` });
    this.#workers[index] = worker;
    worker.on('error', (err) => this.#log.error({ err, worker: index }, 'worker failed'));
    worker.on('exit', (code) => {
      this.#workers[index] = null;
      const state = new Int32Array(this.#workerState, index * WORKER_STATE_STRIDE * 4, WORKER_STATE_STRIDE);
      const busy = Atomics.load(state, WS_BUSY) === 1;
      if (code === 0 && !busy && this.#jobs.closed) {
        this.#checkWorkersGone();
        return;
      }
      this.#log.error({ worker: index, code, busy }, 'worker died; starting a replacement');
      if (busy) {
        Atomics.store(state, WS_BUSY, 0);
        this.#answerLostJob(Atomics.load(state, WS_CONN_ID) >>> 0, Atomics.load(state, WS_SEQ) >>> 0);
      }
      this.#startWorker(index);
    });
  }

  /** The worker that held this job died: answer it with an error, and log that answer. */
  #answerLostJob(connId: number, seq: number): void {
    const conn = this.#table.get(connId);
    if (conn === undefined) return;
    const answer = Buffer.from(errorAnswer('internal (worker died)'));
    const line = formatLogRecord(this.#config.logFormat, {
      timeMs: Date.now(), ip: conn.ip, port: conn.port, listener: conn.framing.listener,
      outcome: { ok: false, error: 'internal (worker died)', message: '(message lost with the worker)' },
      latencyUs: 0, worker: -1,
    });
    this.#ownLogLines.enqueue({ line, conn, seq, answer });
    this.#writeOwnLogLines();
  }

  #writeOwnLogLines(): void {
    while (this.#ownLogLines.size > 0) {
      const item = this.#ownLogLines.peek()!;
      const bytes = Buffer.from(item.line);
      if (!this.#logRing.tryPush(bytes)) return; // retried after the next completion drain
      this.#ownLogLines.dequeue();
      item.conn.complete(item.seq, item.answer, 0, item.answer.length,
        this.#config.ack === 'processed' ? -1 : this.#logRing.lastCommitEnd, Outcome.Internal);
      if (item.conn.flush()) this.#waitingForLog.add(item.conn);
    }
  }

  // ── writer ────────────────────────────────────────────────────────────────

  #startWriter(): void {
    const init: WriterInit = {
      logRing: this.#logRing.buffer,
      completionRing: this.#completions.buffer,
      completionSlot: 30,
      threadCounters: this.#threadCounters,
      counterBlock: this.#config.workers,
      logFile: this.#config.logFile,
      ack: this.#config.ack,
      queue: this.#config.queue,
    };
    const writer = new Worker(new URL('./writer.js', import.meta.url), { workerData: init, name: 'writer' });
    this.#writer = writer;
    writer.on('message', (m: FromWriter) => {
      switch (m.type) {
        case 'reopened': this.#log.info({ file: m.file }, 'log file reopened'); break;
        case 'failed': this.#writerDied(m.reason); break;
        case 'closed': this.#writerRecords = m.records; break;
        default: {
          const never: never = m;
          throw new Error(`this should not happen: writer said ${JSON.stringify(never)}`);
        }
      }
    });
    writer.on('error', (err) => this.#writerDied(String(err)));
    writer.on('exit', (code) => {
      this.#writer = null;
      if (code !== 0) this.#writerDied(`writer thread exited with code ${code}`);
      this.#writerClosedResolve();
    });
  }

  #writerDied(reason: string): void {
    if (this.#writerFailedReason !== null) return;
    this.#writerFailedReason = reason;
    this.#log.fatal({ reason, file: this.#config.logFile }, 'the log writer failed: no further request can be acknowledged; stopping');
    // Workers see the closed log ring and stop producing log records; their
    // answers come back marked unlogged and are turned into errors.
    this.#logRing.close();
    // Everything waiting for the log gets an error answer now.
    for (const conn of this.#waitingForLog) conn.flush();
    this.#waitingForLog.clear();
    void this.shutdown();
  }

  /** SIGHUP: the writer reopens the log file (logrotate). */
  reopenLog(): void {
    this.#writer?.postMessage({ type: 'reopen' });
    // The writer may be asleep in Atomics.wait: a zero-length record wakes it.
    if (!this.#logRing.tryPush(EMPTY)) this.#log.warn('log ring full; the reopen happens after the next batch');
  }

  // ── shutdown ──────────────────────────────────────────────────────────────

  /**
   * Stop accepting and reading, answer every request already taken, let the
   * workers finish, let the writer drain and fsync, then resolve (the caller
   * exits normally, so --cpu-prof profiles are written).
   */
  shutdown(): Promise<ServerSummary> {
    if (!this.#draining) void this.#drain().then(this.#stoppedResolve, this.#stoppedReject);
    return this.stopped;
  }

  #stoppedResolve!: (s: ServerSummary) => void;
  #stoppedReject!: (e: unknown) => void;
  /** Resolves once the server has drained and every thread has stopped. */
  readonly stopped: Promise<ServerSummary> = new Promise((resolve, reject) => {
    this.#stoppedResolve = resolve;
    this.#stoppedReject = reject;
  });

  async #drain(): Promise<ServerSummary> {
    {
      this.#draining = true;
      this.#gate.stop();
      if (this.#reopenRetry !== null) clearTimeout(this.#reopenRetry);
      for (const { server } of this.#listeners) server.close();
      for (const conn of this.#table.all()) {
        // The HTTP front keeps serving: /healthz answers 503 while the drain
        // lasts, new jobs are refused, every response says "close".
        if (conn.framing.listener === 'http') continue;
        conn.stopReading();
        if (conn.unanswered === 0) conn.sink.destroySoon();
      }
      await new Promise<void>((resolve) => {
        this.#drainResolve = resolve;
        this.#checkDrained();
      });
      // No connection waits for anything: stop the workers, then the writer.
      this.#jobs.close();
      await this.#workersGone;
      this.#logRing.close();
      await this.#writerClosed;
      this.#completions.close();
      this.#http?.close();
      for (const conn of this.#table.all()) conn.sink.destroy();
    }
    return { answered: this.#requests.total, records: this.#writerRecords };
  }

  #checkDrained(): void {
    if (this.#drainResolve === null) return;
    for (const conn of this.#table.all()) {
      if (conn.unanswered > 0 && !conn.isClosed) return;
    }
    const resolve = this.#drainResolve;
    this.#drainResolve = null;
    resolve();
  }

  #workersGoneResolve!: () => void;
  readonly #workersGone = new Promise<void>((resolve) => { this.#workersGoneResolve = resolve; });

  #checkWorkersGone(): void {
    if (this.#workers.every((w) => w === null)) this.#workersGoneResolve();
  }
}
