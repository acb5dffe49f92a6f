import os from 'node:os';
import { parseArgs } from 'node:util';
import { RING_IMPLEMENTATIONS, type RingImplementation, nativeQueueStatus } from 'native-queue';
import { JOB_NAMES, type JobName } from './job/jobs.js';
import type { LogFormat } from './log-format/log-fields.js';
import { sendBufferUnavailable } from './listeners/send-buffer.js';

export type AckMode = 'processed' | 'written' | 'fsync';
export const ACK_MODES: readonly AckMode[] = ['processed', 'written', 'fsync'];

export interface Config {
  readonly host: string;
  /** null = listener disabled; 0 = an ephemeral port. */
  readonly seedPort: number | null;
  readonly linePort: number | null;
  readonly binaryPort: number | null;
  readonly binaryPrefix: 2 | 4;
  readonly httpPort: number | null;
  readonly workers: number;
  readonly job: JobName;
  readonly jobWork: number;
  readonly logFile: string;
  readonly logFormat: LogFormat;
  readonly ack: AckMode;
  readonly maxFrame: number;
  readonly maxConnections: number;
  /** ERR answers a second to connections over maxConnections; past that the listeners pause (RefusalGate). */
  readonly refusalsPerSecond: number;
  readonly refusalWindowMs: number;
  readonly maxInflight: number;
  /** SO_SNDBUF of each accepted persistent connection; 0 leaves the kernel's autotuning (see listeners/send-buffer.ts). */
  readonly sendBuffer: number;
  readonly idleTimeoutMs: number;
  readonly seedTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly jobRingBytes: number;
  /** Which language runs the rings in the workers and the writer: JavaScript, or the C++ addon. */
  readonly queue: RingImplementation;
  readonly allowFaultInjection: boolean;
}

interface Option {
  readonly flag: string;
  readonly value: string;
  readonly help: string;
  readonly boolean?: true;
}

const OPTIONS: readonly Option[] = [
  { flag: 'host', value: '127.0.0.1', help: 'address every listener binds (0.0.0.0 or :: to listen on all interfaces)' },
  { flag: 'seed-port', value: '5050', help: 'seed protocol: one message per connection (the original); "off" disables' },
  { flag: 'line-port', value: '5051', help: 'newline-delimited, persistent, pipelined; "off" disables' },
  { flag: 'binary-port', value: '5052', help: 'length-prefixed frames; "off" disables' },
  { flag: 'binary-prefix', value: '2', help: 'binary length prefix bytes, big-endian signed: 2 or 4' },
  { flag: 'http-port', value: '8080', help: 'HTTP front: POST /jobs, GET /metrics, GET /healthz; "off" disables' },
  { flag: 'workers', value: String(os.availableParallelism()), help: 'worker threads running jobs' },
  { flag: 'job', value: 'prime-count', help: `job each message runs: ${JOB_NAMES.join(', ')}` },
  { flag: 'job-work', value: '0', help: 'extra deterministic CPU work per message (units of cpuWork)' },
  { flag: 'log-file', value: 'server_log.txt', help: 'request log, one record per answered request' },
  { flag: 'log-format', value: 'seed', help: 'seed (the original line) or jsonl' },
  { flag: 'ack', value: 'written', help: 'answer after the job is processed, the log record written to the OS, or fsync-ed' },
  { flag: 'max-frame', value: '65536', help: 'largest message in bytes (the 2-byte prefix caps at 32767)' },
  { flag: 'max-connections', value: '10000', help: 'open connections across listeners; more are answered ERR and closed, within --refusals-per-second' },
  { flag: 'refusals-per-second', value: '80', help: 'ERR answers a second to connections over --max-connections; past that the listeners close for the rest of the window and the kernel refuses' },
  { flag: 'refusal-window-ms', value: '100', help: 'the window --refusals-per-second is counted in, and the longest pause' },
  { flag: 'max-inflight', value: '128', help: 'requests in flight per connection before it stops being read (also what one connection can queue ahead of the others)' },
  { flag: 'send-buffer', value: '262144', help: 'bytes of answers the kernel holds for a connection that is not reading before it stops being read (SO_SNDBUF); 0 leaves the kernel\'s autotuning (up to net.ipv4.tcp_wmem\'s max)' },
  { flag: 'idle-timeout-ms', value: '60000', help: 'close a persistent connection idle this long' },
  { flag: 'seed-timeout-ms', value: '5000', help: 'seed: close without answer if no data arrives in this time' },
  { flag: 'drain-timeout-ms', value: '30000', help: 'on SIGTERM, give up draining after this long (exit 1)' },
  { flag: 'job-ring-bytes', value: '1048576', help: 'job ring capacity (a power of two)' },
  { flag: 'queue', value: 'js', help: 'rings in the workers and the writer: js, or native (the C++ addon: npm run build:native)' },
  { flag: 'allow-fault-injection', value: 'false', boolean: true, help: 'test only: messages __crash__ and __throw__ kill or fail a worker' },
];

const envName = (flag: string): string => `RINGPOOL_${flag.toUpperCase().replaceAll('-', '_')}`;

export function usage(): string {
  const lines = ['Usage: ringpool [options]   (npm start -- [options])', '', 'Options (each also read from the environment variable shown):'];
  for (const o of OPTIONS) {
    lines.push(`  --${o.flag}${o.boolean ? '' : ` <${o.value}>`}`.padEnd(36) + `${o.help} [${envName(o.flag)}]`);
  }
  lines.push('  --help'.padEnd(36) + 'this text');
  return lines.join('\n');
}

export class ConfigError extends Error {}

function port(name: string, raw: string): number | null {
  if (raw === 'off') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--${name} must be 0..65535 or "off", got "${raw}"`);
  return n;
}

function int(name: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${name} must be an integer ${min}..${max}, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** --queue native needs the optional C++ addon: refuse at start, saying why, not when a worker starts. */
function queue(raw: string): RingImplementation {
  const choice = oneOf('queue', raw, RING_IMPLEMENTATIONS);
  if (choice === 'js') return choice; // the addon is not even loaded
  const status = nativeQueueStatus();
  if (!status.available) throw new ConfigError(`--queue native: native queue unavailable: ${status.reason}`);
  return choice;
}

/** A send-buffer size needs the sockopt addon: refuse at start, saying why, not at the first connection. */
function sendBuffer(raw: string): number {
  const bytes = int('send-buffer', raw, 0, 1 << 30);
  if (bytes === 0) return bytes;
  if (bytes < 4096) throw new ConfigError(`--send-buffer must be 0 (the kernel's autotuning) or at least 4096, got ${bytes}`);
  const why = sendBufferUnavailable();
  if (why !== null) throw new ConfigError(`--send-buffer ${bytes}: ${why}; --send-buffer 0 runs without it`);
  return bytes;
}

/** Flags win over environment variables, which win over defaults. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config | 'help' {
  const { values: parsed } = parseArgs({
    args: [...argv],
    options: Object.fromEntries([
      ...OPTIONS.map((o) => [o.flag, o.boolean ? { type: 'boolean' as const } : { type: 'string' as const }]),
      ['help', { type: 'boolean' as const }],
    ]),
    strict: true,
    allowPositionals: false,
  });
  const values = parsed as Record<string, string | boolean | undefined>;
  if (values['help'] === true) return 'help';
  const get = (flag: string): string => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    if (v === true) return 'true';
    return env[envName(flag)] ?? OPTIONS.find((o) => o.flag === flag)!.value;
  };
  const binaryPrefix = int('binary-prefix', get('binary-prefix'), 2, 4);
  if (binaryPrefix !== 2 && binaryPrefix !== 4) throw new ConfigError('--binary-prefix must be 2 or 4');
  const httpPort = port('http-port', get('http-port'));
  const jobRingBytes = int('job-ring-bytes', get('job-ring-bytes'), 4096, 1 << 30);
  if ((jobRingBytes & (jobRingBytes - 1)) !== 0) throw new ConfigError(`--job-ring-bytes must be a power of two, got ${jobRingBytes}`);
  const maxFrame = int('max-frame', get('max-frame'), 1, jobRingBytes / 2 - 128);
  return {
    host: get('host'),
    seedPort: port('seed-port', get('seed-port')),
    linePort: port('line-port', get('line-port')),
    binaryPort: port('binary-port', get('binary-port')),
    binaryPrefix,
    httpPort,
    workers: int('workers', get('workers'), 1, 256),
    job: oneOf('job', get('job'), JOB_NAMES),
    jobWork: int('job-work', get('job-work'), 0),
    logFile: get('log-file'),
    logFormat: oneOf('log-format', get('log-format'), ['seed', 'jsonl'] as const),
    ack: oneOf('ack', get('ack'), ACK_MODES),
    maxFrame,
    maxConnections: int('max-connections', get('max-connections'), 1, 65535),
    refusalsPerSecond: int('refusals-per-second', get('refusals-per-second'), 0, 1_000_000),
    refusalWindowMs: int('refusal-window-ms', get('refusal-window-ms'), 1, 3_600_000),
    maxInflight: int('max-inflight', get('max-inflight'), 1, 1 << 20),
    sendBuffer: sendBuffer(get('send-buffer')),
    idleTimeoutMs: int('idle-timeout-ms', get('idle-timeout-ms'), 1),
    seedTimeoutMs: int('seed-timeout-ms', get('seed-timeout-ms'), 1),
    drainTimeoutMs: int('drain-timeout-ms', get('drain-timeout-ms'), 1),
    jobRingBytes,
    queue: queue(get('queue')),
    allowFaultInjection: get('allow-fault-injection') === 'true',
  };
}
