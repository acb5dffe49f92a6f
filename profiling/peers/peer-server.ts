/**
 * What the Node peers share, so they differ only in where the job runs:
 * flags, listeners for the three TCP protocols (the same framing code as
 * ringpool), answers in request order on a persistent connection, one log
 * record per answer through fs.createWriteStream, the JSON ready line on
 * stderr, and a clean stop on SIGTERM (every request read is answered).
 *
 * A peer passes a `PeerJob`: a function that returns the job's outcome
 * either at once (the inline peer: the event loop runs it) or as a promise
 * (the piscina peer: a worker runs it). Answers that are ready at once take
 * the same path as in the first version of the inline peer: every answer of a
 * received chunk goes out in one write.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { FrameSink } from '../../src/framing/frame-sink.js';
import { LengthPrefixDecoder, encodeLengthPrefixed } from '../../src/framing/length-prefix-decoder.js';
import { LineDecoder } from '../../src/framing/line-decoder.js';
import { seedMessageEnd } from '../../src/framing/seed-frame.js';
import { JOB_NAMES, type JobName, type JobOutcome, errorAnswer } from '../../src/job/jobs.js';
import { type Listener, type LogFormat, formatLogRecord } from '../../src/log-format/log-fields.js';

const MAX_FRAME = 65536;

export type PeerProtocol = 'seed' | 'line' | 'binary';

export interface PeerConfig {
  readonly host: string;
  readonly ports: Readonly<Record<PeerProtocol, number | null>>;
  readonly binaryPrefix: 2 | 4;
  readonly job: JobName;
  readonly jobWork: number;
  /** Threads that run jobs (only for peers that have a pool). */
  readonly workers: number;
  readonly logFile: string;
  readonly logFormat: LogFormat;
}

/** Runs the job on `buf[start, end)`; the bytes are valid only during the call. */
export type PeerJob = (buf: Buffer, start: number, end: number) => JobOutcome | Promise<JobOutcome>;

function fail(peer: string, message: string): never {
  process.stderr.write(`${peer} peer: ${message}\n`);
  process.exit(2);
}

/**
 * Parses the flags every peer takes (ringpool's names and defaults);
 * `--workers` only when `withWorkers` (default: available parallelism, as
 * ringpool's).
 */
export function parsePeerConfig(peer: string, argv: readonly string[], withWorkers: boolean): PeerConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'host': { type: 'string', default: '127.0.0.1' },
        'seed-port': { type: 'string', default: '5050' },
        'line-port': { type: 'string', default: '5051' },
        'binary-port': { type: 'string', default: '5052' },
        'binary-prefix': { type: 'string', default: '2' },
        'job': { type: 'string', default: 'prime-count' },
        'job-work': { type: 'string', default: '0' },
        'log-file': { type: 'string', default: 'server_log.txt' },
        'log-format': { type: 'string', default: 'seed' },
        ...(withWorkers ? { workers: { type: 'string', default: String(os.availableParallelism()) } } as const : {}),
      },
    });
  } catch (err) {
    fail(peer, (err as Error).message);
  }
  const { values } = parsed;
  const port = (name: string, raw: string): number | null => {
    if (raw === 'off') return null;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) fail(peer, `--${name} must be 0..65535 or "off", got "${raw}"`);
    return n;
  };
  const prefix = values['binary-prefix'];
  if (prefix !== '2' && prefix !== '4') fail(peer, `--binary-prefix must be 2 or 4, got "${prefix}"`);
  const job = values.job;
  if (!(JOB_NAMES as readonly string[]).includes(job)) fail(peer, `--job must be one of ${JOB_NAMES.join(', ')}, got "${job}"`);
  const jobWork = Number(values['job-work']);
  if (!Number.isInteger(jobWork) || jobWork < 0) fail(peer, `--job-work must be an integer >= 0, got "${values['job-work']}"`);
  const logFormat = values['log-format'];
  if (logFormat !== 'seed' && logFormat !== 'jsonl') fail(peer, `--log-format must be seed or jsonl, got "${logFormat}"`);
  const rawWorkers = (values as { workers?: string }).workers ?? '1';
  const workers = Number(rawWorkers);
  if (!Number.isInteger(workers) || workers < 1) fail(peer, `--workers must be an integer >= 1, got "${rawWorkers}"`);
  return {
    host: values.host,
    ports: {
      seed: port('seed-port', values['seed-port']),
      line: port('line-port', values['line-port']),
      binary: port('binary-port', values['binary-port']),
    },
    binaryPrefix: prefix === '2' ? 2 : 4,
    job: job as JobName,
    jobWork,
    workers,
    logFile: values['log-file'],
    logFormat,
  };
}

const INTERNAL: JobOutcome = { ok: false, error: 'internal', message: '' };

/**
 * Listens on every configured port, prints the ready line, and on SIGTERM
 * stops accepting and reading, answers what was read, ends every
 * connection, closes the log, calls `close` (e.g. to stop a pool) and exits 0.
 */
export async function servePeer(peer: string, config: PeerConfig, runJob: PeerJob, close: () => Promise<void> = () => Promise.resolve()): Promise<void> {
  const log = fs.createWriteStream(config.logFile, { flags: 'a' });
  const sockets = new Set<net.Socket>();
  /** Jobs handed to `runJob` whose promise has not settled. */
  let pending = 0;
  let onIdle: (() => void) | null = null;
  let stopping = false;

  /** Logs the request and returns its answer text. */
  const finish = (socket: net.Socket, listener: Listener, outcome: JobOutcome, t0: number): string => {
    // The naive baseline ignores write()'s backpressure, as most first versions do.
    log.write(formatLogRecord(config.logFormat, {
      timeMs: Date.now(),
      ip: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      listener,
      outcome,
      latencyUs: Math.round((performance.now() - t0) * 1000),
      worker: -1,
    }));
    return outcome.ok ? outcome.answer : errorAnswer(outcome.error);
  };
  /** Waits for a job started elsewhere; never rejects (a failed job is `ERR internal`). */
  const settle = (p: Promise<JobOutcome>): Promise<JobOutcome> => {
    pending++;
    return p.catch(() => INTERNAL).finally(() => {
      pending--;
      if (pending === 0 && onIdle !== null) onIdle();
    });
  };

  const onSeed = (socket: net.Socket): void => {
    socket.once('data', (chunk: Buffer) => {
      // Later bytes are read and dropped so closing never resets the connection.
      socket.on('data', () => undefined);
      const t0 = performance.now();
      const r = runJob(chunk, 0, seedMessageEnd(chunk));
      if (!(r instanceof Promise)) { socket.end(finish(socket, 'seed', r, t0)); return; }
      void settle(r).then((outcome) => socket.end(finish(socket, 'seed', outcome, t0)));
    });
  };

  const onPersistent = (socket: net.Socket, listener: 'line' | 'binary'): void => {
    const decoder = listener === 'line' ? new LineDecoder(MAX_FRAME) : new LengthPrefixDecoder(config.binaryPrefix, Math.min(MAX_FRAME, 0x7fff));
    const wire = (text: string): Buffer => (listener === 'line' ? Buffer.from(text) : encodeLengthPrefixed(Buffer.from(text), config.binaryPrefix));
    /** Answers ready to write, in request order. */
    const out: Buffer[] = [];
    /** Requests behind one still running elsewhere: their answers wait here, in order. */
    const queue: { bytes: Buffer | null }[] = [];
    let head = 0;
    let broken = false;
    const flush = (): void => {
      while (head < queue.length && queue[head]!.bytes !== null) out.push(queue[head++]!.bytes!);
      if (head === queue.length) { queue.length = 0; head = 0; }
      if (out.length > 0) {
        socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        out.length = 0;
      }
      // A frame the decoder refused ends the connection once the answers before it are out.
      if (broken && queue.length === 0) socket.end();
    };
    const answer = (bytes: Buffer): void => {
      if (queue.length === 0) out.push(bytes); else queue.push({ bytes });
    };
    const sink: FrameSink = {
      frame(buf, start, end) {
        const t0 = performance.now();
        const r = runJob(buf, start, end);
        if (!(r instanceof Promise)) { answer(wire(finish(socket, listener, r, t0))); return; }
        const slot: { bytes: Buffer | null } = { bytes: null };
        queue.push(slot);
        void settle(r).then((outcome) => {
          slot.bytes = wire(finish(socket, listener, outcome, t0));
          flush();
        });
      },
      error(reason) {
        answer(wire(errorAnswer(reason)));
      },
    };
    socket.on('data', (chunk: Buffer) => {
      if (!decoder.push(chunk, sink)) { broken = true; socket.pause(); }
      flush();
    });
  };

  const listen = async (name: PeerProtocol, port: number): Promise<net.Server> => {
    const server = net.createServer((socket) => {
      if (stopping) { socket.destroy(); return; }
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined); // a reset by the client: nothing to answer
      if (name === 'seed') onSeed(socket); else onPersistent(socket, name);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => { server.off('error', reject); resolve(); });
    });
    return server;
  };

  const servers: net.Server[] = [];
  const ports: Record<string, number> = {};
  for (const name of ['seed', 'line', 'binary'] as const) {
    const port = config.ports[name];
    if (port === null) continue;
    const server = await listen(name, port);
    servers.push(server);
    ports[name] = (server.address() as net.AddressInfo).port;
  }
  const line = (msg: string, extra: Record<string, unknown> = {}): string => `${JSON.stringify({ level: 30, time: new Date().toISOString(), peer, ...extra, msg })}\n`;
  process.stderr.write(line('ready', { ports, workers: config.workers, logFile: config.logFile }));

  process.once('SIGTERM', () => {
    stopping = true;
    for (const server of servers) server.close();
    for (const socket of sockets) socket.pause();
    const answered = pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => { onIdle = resolve; });
    void answered.then(() => Promise.all([...sockets].map((socket) => new Promise<void>((resolve) => {
      // Every request read has its answer written: end each connection and
      // wait until its answers reach the kernel.
      if (socket.writableFinished || socket.destroyed) { resolve(); return; }
      socket.once('finish', resolve);
      socket.once('close', resolve);
      socket.end();
    })))).then(close).then(() => log.end(() => {
      process.stderr.write(line('stopped'));
      process.exit(0);
    }));
  });
}
