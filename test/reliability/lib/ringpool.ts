/**
 * Starts the built ringpool server for a reliability scenario: every TCP
 * listener on an ephemeral port of 127.0.0.1, the HTTP front only when asked
 * (its default port is fixed), two workers unless told otherwise.
 */
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServer } from '../../../profiling/server-process.js';

export const RINGPOOL_MAIN = fileURLToPath(new URL('../../../src/main.js', import.meta.url));

export interface RingpoolOptions {
  readonly logFile: string;
  /** More flags, after the defaults (a later flag wins). */
  readonly args?: readonly string[];
  /** Start the HTTP front on an ephemeral port (for /metrics and /healthz). */
  readonly http?: boolean;
  readonly workers?: number;
  /**
   * A command the server runs under, e.g. `['bash', '-c', 'ulimit -f 64 && exec "$@"', '--']`
   * to start it with a resource limit.
   */
  readonly wrapper?: readonly string[];
}

export function startRingpool(o: RingpoolOptions): Promise<ServerProcess> {
  return startServer([
    ...(o.wrapper ?? []),
    process.execPath, RINGPOOL_MAIN,
    '--seed-port', '0', '--line-port', '0', '--binary-port', '0', '--http-port', o.http === true ? '0' : 'off',
    '--workers', String(o.workers ?? 2), '--log-file', o.logFile,
    ...(o.args ?? []),
  ]);
}

/** The last stderr lines, for assertion messages. */
export function tail(server: ServerProcess, lines = 8): string {
  return server.stderrLines.slice(-lines).join('\n');
}
