/**
 * The baseline a user would write first: one thread, the job run inline on
 * the event loop, the request log appended with fs.createWriteStream. Same
 * protocols, flags and ready line as ringpool, so the same load client and
 * benchmark drive both.
 *
 *   node dist/profiling/peers/inline.js [--host 127.0.0.1] [--seed-port 5050|off]
 *     [--line-port 5051|off] [--binary-port 5052|off] [--binary-prefix 2|4]
 *     [--job prime-count|echo] [--job-work 0] [--log-file server_log.txt]
 *     [--log-format seed|jsonl]
 */
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { FrameSink } from '../../src/framing/frame-sink.js';
import { LengthPrefixDecoder, encodeLengthPrefixed } from '../../src/framing/length-prefix-decoder.js';
import { LineDecoder } from '../../src/framing/line-decoder.js';
import { seedMessageEnd } from '../../src/framing/seed-frame.js';
import { JOB_NAMES, type JobName, type JobOutcome, errorAnswer, runJob } from '../../src/job/jobs.js';
import { type Listener, type LogFormat, formatLogRecord } from '../../src/log-format/log-fields.js';

const MAX_FRAME = 65536;

interface PeerConfig {
  readonly host: string;
  readonly ports: Readonly<Record<'seed' | 'line' | 'binary', number | null>>;
  readonly binaryPrefix: 2 | 4;
  readonly job: JobName;
  readonly jobWork: number;
  readonly logFile: string;
  readonly logFormat: LogFormat;
}

function fail(message: string): never {
  process.stderr.write(`inline peer: ${message}\n`);
  process.exit(2);
}

function parsePort(name: string, raw: string): number | null {
  if (raw === 'off') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name} must be 0..65535 or "off", got "${raw}"`);
  return n;
}

function parseConfig(argv: readonly string[]): PeerConfig {
  const { values } = parseArgs({
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
    },
  });
  const prefix = values['binary-prefix'];
  if (prefix !== '2' && prefix !== '4') fail(`--binary-prefix must be 2 or 4, got "${prefix}"`);
  const job = values.job;
  if (!(JOB_NAMES as readonly string[]).includes(job)) fail(`--job must be one of ${JOB_NAMES.join(', ')}, got "${job}"`);
  const jobWork = Number(values['job-work']);
  if (!Number.isInteger(jobWork) || jobWork < 0) fail(`--job-work must be an integer >= 0, got "${values['job-work']}"`);
  const logFormat = values['log-format'];
  if (logFormat !== 'seed' && logFormat !== 'jsonl') fail(`--log-format must be seed or jsonl, got "${logFormat}"`);
  return {
    host: values.host,
    ports: {
      seed: parsePort('seed-port', values['seed-port']),
      line: parsePort('line-port', values['line-port']),
      binary: parsePort('binary-port', values['binary-port']),
    },
    binaryPrefix: prefix === '2' ? 2 : 4,
    job: job as JobName,
    jobWork,
    logFile: values['log-file'],
    logFormat,
  };
}

const config = parseConfig(process.argv.slice(2));
const log = fs.createWriteStream(config.logFile, { flags: 'a' });
const sockets = new Set<net.Socket>();

/** Runs the job on `buf[start, end)` and appends the log record; returns the answer text. */
function answer(socket: net.Socket, listener: Listener, buf: Buffer, start: number, end: number): string {
  const t0 = performance.now();
  const outcome: JobOutcome = runJob(config.job, buf.subarray(start, end), config.jobWork);
  const latencyUs = Math.round((performance.now() - t0) * 1000);
  // The naive baseline ignores write()'s backpressure, as most first versions do.
  log.write(formatLogRecord(config.logFormat, {
    timeMs: Date.now(),
    ip: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    listener,
    outcome,
    latencyUs,
    worker: -1,
  }));
  return outcome.ok ? outcome.answer : errorAnswer(outcome.error);
}

function onSeed(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.once('data', (chunk: Buffer) => {
    socket.end(answer(socket, 'seed', chunk, 0, seedMessageEnd(chunk)));
    // Later bytes are read and dropped so closing never resets the connection.
    socket.on('data', () => undefined);
  });
}

/** line and binary: every frame of a chunk answered, the answers sent in one write. */
function onPersistent(socket: net.Socket, listener: 'line' | 'binary'): void {
  socket.setNoDelay(true);
  const decoder = listener === 'line' ? new LineDecoder(MAX_FRAME) : new LengthPrefixDecoder(config.binaryPrefix, Math.min(MAX_FRAME, 0x7fff));
  const out: Buffer[] = [];
  const sink: FrameSink = {
    frame(buf, start, end) {
      const text = answer(socket, listener, buf, start, end);
      out.push(listener === 'line' ? Buffer.from(text) : encodeLengthPrefixed(Buffer.from(text), config.binaryPrefix));
    },
    error(reason) {
      const text = errorAnswer(reason);
      out.push(listener === 'line' ? Buffer.from(text) : encodeLengthPrefixed(Buffer.from(text), config.binaryPrefix));
    },
  };
  socket.on('data', (chunk: Buffer) => {
    const ok = decoder.push(chunk, sink);
    if (out.length > 0) {
      socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
      out.length = 0;
    }
    if (!ok) socket.end();
  });
}

async function listen(name: 'seed' | 'line' | 'binary', port: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a reset by the client: nothing to answer
    if (name === 'seed') onSeed(socket); else onPersistent(socket, name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}

const servers: net.Server[] = [];
const ports: Record<string, number> = {};
for (const name of ['seed', 'line', 'binary'] as const) {
  const port = config.ports[name];
  if (port === null) continue;
  const server = await listen(name, port);
  servers.push(server);
  ports[name] = (server.address() as net.AddressInfo).port;
}
process.stderr.write(`${JSON.stringify({ level: 30, time: new Date().toISOString(), peer: 'inline', ports, logFile: config.logFile, msg: 'ready' })}\n`);

process.once('SIGTERM', () => {
  for (const server of servers) server.close();
  // Every request read so far has been answered (the job is synchronous):
  // each connection is ended, and we wait until its answers reach the kernel.
  const flushed = [...sockets].map((socket) => new Promise<void>((resolve) => {
    if (socket.writableFinished || socket.destroyed) { resolve(); return; }
    socket.once('finish', resolve);
    socket.once('close', resolve);
    socket.end();
  }));
  void Promise.all(flushed).then(() => log.end(() => {
    process.stderr.write(`${JSON.stringify({ level: 30, time: new Date().toISOString(), msg: 'stopped' })}\n`);
    process.exit(0);
  }));
});
