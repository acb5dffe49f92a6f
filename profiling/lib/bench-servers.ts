/**
 * The servers `npm run bench` compares and how each is started: ringpool and
 * the peers in profiling/peers/, which protocols each speaks, and the
 * command line for one protocol, one job and one log file.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Protocol } from '../load-client.js';

export const SERVER_KINDS = ['ringpool', 'inline', 'piscina', 'python', 'c-epoll'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];
export const PEER_KINDS = SERVER_KINDS.filter((k) => k !== 'ringpool');

export const ACK_MODES = ['processed', 'written', 'fsync'] as const;
export type AckMode = (typeof ACK_MODES)[number];

/** The protocols each server speaks (the benchmark uses seed and line). */
export const SPEAKS: Readonly<Record<ServerKind, readonly Protocol[]>> = {
  'ringpool': ['seed', 'line', 'binary'],
  'inline': ['seed', 'line', 'binary'],
  'piscina': ['seed', 'line', 'binary'],
  'python': ['seed'],
  'c-epoll': ['line'],
};

/** Servers with a pool size: they run once per worker count. */
export function hasWorkers(kind: ServerKind): boolean {
  return kind === 'ringpool' || kind === 'piscina';
}

export interface ServerSpec {
  readonly kind: ServerKind;
  /** Pool size, or null for servers without one (inline, python's fixed 10 threads, c-epoll). */
  readonly workers: number | null;
  /** ringpool's --ack; null for the peers. */
  readonly ack: AckMode | null;
  /** Unique and short: `ringpool w2`, `ringpool w2 processed`, `piscina w1`, `inline`. */
  readonly label: string;
}

export function specLabel(kind: ServerKind, workers: number | null, ack: AckMode | null): string {
  const w = workers === null ? '' : ` w${workers}`;
  return `${kind}${w}${ack === null || ack === 'written' ? '' : ` ${ack}`}`;
}

export interface Executables {
  readonly node: string;
  /** dist/ root of the built project. */
  readonly dist: string;
  /** ringpool's command (default: node dist/src/main.js). */
  readonly ringpool: readonly string[];
  /** The real interpreter (not a pyenv shim), or null when python3 is missing. */
  readonly python: string | null;
  readonly pythonPeer: string;
  /** The built C peer, or null when it could not be built. */
  readonly cEpoll: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Finds python3's real executable, so the measured pid is the interpreter itself. */
export function findPython(): string | null {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function defaultExecutables(ringpool: readonly string[] | null, python: string | null, cEpoll: string | null): Executables {
  const dist = path.resolve(here, '../..');
  return {
    node: process.execPath,
    dist,
    ringpool: ringpool ?? [process.execPath, path.join(dist, 'src/main.js')],
    python,
    pythonPeer: path.resolve(dist, '../profiling/peers/python-threadpool.py'),
    cEpoll,
  };
}

export interface CommandOptions {
  /** Listeners to open (port 0); the others are off. */
  readonly protocols: readonly Protocol[];
  readonly jobWork: number;
  readonly logFile: string;
  /** ringpool only: leave its HTTP front on (port 0), as `npm start` does. */
  readonly httpFront?: boolean;
}

/** The command line that starts `spec` for these listeners, this job and this log. */
export function serverCommand(x: Executables, spec: ServerSpec, o: CommandOptions): string[] {
  const port = (p: Protocol): string => (o.protocols.includes(p) ? '0' : 'off');
  const tcp = ['--seed-port', port('seed'), '--line-port', port('line'), '--binary-port', port('binary')];
  const job = ['--job', 'prime-count', '--job-work', String(o.jobWork), '--log-file', o.logFile, '--log-format', 'seed'];
  switch (spec.kind) {
    case 'ringpool':
      return [...x.ringpool, ...tcp, '--http-port', o.httpFront === true ? '0' : 'off', ...job,
        ...(spec.workers === null ? [] : ['--workers', String(spec.workers)]), '--ack', spec.ack ?? 'written'];
    case 'inline':
      return [x.node, path.join(x.dist, 'profiling/peers/inline.js'), ...tcp, ...job];
    case 'piscina':
      return [x.node, path.join(x.dist, 'profiling/peers/piscina.js'), ...tcp, ...job, '--workers', String(spec.workers ?? 1)];
    case 'python':
      if (x.python === null) throw new Error('python3 not found');
      return [x.python, x.pythonPeer, '--port', '0', '--log-file', o.logFile, '--job-work', String(o.jobWork)];
    case 'c-epoll':
      if (x.cEpoll === null) throw new Error('the C peer was not built');
      return [x.cEpoll, '--line-port', '0', '--job-work', String(o.jobWork), '--log-file', o.logFile];
    default: {
      const never: never = spec.kind;
      throw new Error(`this should not happen: server kind ${String(never)}`);
    }
  }
}
