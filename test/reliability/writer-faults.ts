/**
 * Writer faults: the log's disk fills up or refuses writes in the middle of
 * a loaded run. The server must answer `ERR log unavailable` to what it can
 * no longer log, never acknowledge a request whose record is not in the
 * log, stop accepting, and exit with status 3 and a clear message.
 *
 * Two ways to make the disk fail, both part way through a run:
 *   efbig   the server runs under `ulimit -f` (RLIMIT_FSIZE): a write past the
 *           limit fails with EFBIG (Node ignores SIGXFSZ). Needs no privilege.
 *   enospc  the log lives on a tiny tmpfs: a full disk, ENOSPC. Needs root
 *           (mount); reported as not run otherwise.
 * (/dev/full, failing from the first write, is test/server.test.ts's.)
 *
 *   node dist/test/reliability/writer-faults.js [--limit-kib 256]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AckMode } from '../../src/config.js';
import { seedRequest } from '../helpers/clients.js';
import { IdLoad } from './lib/id-load.js';
import { audit, sample, scanLog } from './lib/log-audit.js';
import { type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { textTable } from '../../profiling/lib/bench-stats.js';
import { startRingpool, tail } from './lib/ringpool.js';

export type DiskFault = 'efbig' | 'enospc';

export interface WriterFaultOptions {
  readonly fault: DiskFault;
  readonly ack: AckMode;
  /** How much the log may hold before the disk fails. */
  readonly limitKiB?: number;
}

export interface WriterFaultResult extends ScenarioResult {
  readonly fault: DiskFault;
  readonly ack: AckMode;
  /** False when the fault could not be set up (no root for a mount): nothing was checked. */
  readonly ran: boolean;
  readonly acked: number;
  readonly refused: number;
  readonly unanswered: number;
  readonly loggedNotAcked: number;
  readonly exitCode: number | null;
  readonly message: string;
  /** What a new connection got once the failure was reported. */
  readonly afterFailure: string;
  readonly tornTailBytes: number;
}

const UNAVAILABLE = 'ERR log unavailable, request not processed\n';
const FAILED = /the log writer failed/;

/** Mounts a tmpfs of `kib` KiB on `dir`; returns the unmount, or the reason it cannot. */
function mountTinyDisk(dir: string, kib: number): (() => void) | string {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return `mount -t tmpfs failed (${(err as Error).message.split('\n')[0]}); it needs root`;
  }
  return () => execFileSync('umount', [dir], { stdio: 'pipe' });
}

export async function runWriterFault(o: WriterFaultOptions): Promise<WriterFaultResult> {
  const kib = o.limitKiB ?? 256;
  const dir = tempDir(`writer-${o.fault}`);
  const scenario = `writer fault ${o.fault}, --ack ${o.ack}`;
  let unmount: (() => void) | null = null;
  try {
    const logDir = path.join(dir, 'disk');
    fs.mkdirSync(logDir);
    if (o.fault === 'enospc') {
      const mounted = mountTinyDisk(logDir, kib);
      if (typeof mounted === 'string') {
        return {
          scenario, violations: [], summary: `not run: ${mounted}`, fault: o.fault, ack: o.ack, ran: false, acked: 0, refused: 0,
          unanswered: 0, loggedNotAcked: 0, exitCode: null, message: '', afterFailure: '', tornTailBytes: 0,
        };
      }
      unmount = mounted;
    }
    const logFile = path.join(logDir, 'requests.log');
    // bash's ulimit -f counts 1024-byte blocks.
    const wrapper = o.fault === 'efbig' ? ['bash', '-c', `ulimit -f ${kib} && exec "$@"`, '--'] : [];
    const server = await startRingpool({ logFile, wrapper, args: ['--ack', o.ack] });
    try {
      const load = new IdLoad({
        ports: server.ports, tag: `f${o.fault === 'efbig' ? 'b' : 's'}`, protocols: ['line', 'binary', 'seed'],
        connections: 4, depth: 32, refusals: [UNAVAILABLE],
      });
      await load.start();
      await server.waitForStderr(FAILED);
      // Listeners close as the failure is reported: a new request must not be taken.
      const afterFailure = await seedRequest(server.ports['seed']!, 'abc1a').then(
        (r) => (r.answer === '' ? 'closed without an answer' : `answered ${JSON.stringify(r.answer)}`),
        (err: NodeJS.ErrnoException) => `refused (${err.code ?? err.message})`);
      const exit = await server.exited;
      await load.stop(10_000);
      const message = server.stderrLines.find((l) => FAILED.test(l)) ?? '';
      const scan = scanLog(logFile, 'seed');
      const a = audit(scan.records, load.attempted, load.acked);
      const violations: string[] = [];
      const v = (what: string): void => void violations.push(what);
      if (exit.code !== 3) v(`exit ${exit.signal ?? exit.code}, not 3\n${tail(server)}`);
      const code = o.fault === 'efbig' ? 'EFBIG' : 'ENOSPC';
      if (!message.includes(code)) v(`the failure message does not name ${code}: ${message}`);
      if (!server.stderrLines.some((l) => l.includes('exiting with status 3'))) v('no "exiting with status 3" line');
      if (afterFailure.startsWith('answered') && !afterFailure.includes('ERR')) v(`a new request after the failure was ${afterFailure}`);
      if (a.ackedNotLogged.length > 0) v(`ACKNOWLEDGED BUT NOT LOGGED: ${sample(a.ackedNotLogged)}`);
      if (a.loggedNotAttempted.length > 0) v(`logged, never attempted: ${sample(a.loggedNotAttempted)}`);
      if (a.duplicates.length > 0) v(`logged twice: ${sample(a.duplicates)}`);
      if (load.wrong.length > 0) v(`answers neither right nor "${UNAVAILABLE.trim()}": ${sample(load.wrong)}`);
      if (a.acked === 0) v('nothing was acknowledged before the disk failed: the fault did not come part way through');
      if (scan.malformed.length > 0) v(`malformed lines: ${sample(scan.malformed)}`);
      const unanswered = load.attempted.size - load.acked.size - load.refused.size;
      return {
        scenario, violations,
        summary: `${a.acked} acknowledged (all logged), ${load.refused.size} answered ERR log unavailable, ${unanswered} unanswered `
          + `(connection closed), ${a.loggedNotAcked.length} logged but not acknowledged; new connection after the failure: ${afterFailure}; `
          + `exit ${exit.code}; torn last line ${scan.tornTail === null ? 'none' : `${Buffer.byteLength(scan.tornTail)} bytes`}`,
        fault: o.fault, ack: o.ack, ran: true, acked: a.acked, refused: load.refused.size, unanswered, loggedNotAcked: a.loggedNotAcked.length,
        exitCode: exit.code, message, afterFailure, tornTailBytes: scan.tornTail === null ? 0 : Buffer.byteLength(scan.tornTail),
      };
    } finally {
      await server.stop('SIGKILL');
    }
  } finally {
    unmount?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'limit-kib': { type: 'string', default: '256' } } });
  process.stdout.write(`writer faults: ${machine()}\n`);
  const results: WriterFaultResult[] = [];
  for (const fault of ['efbig', 'enospc'] as const) {
    for (const ack of ['written', 'fsync'] as const) {
      const r = await runWriterFault({ fault, ack, limitKiB: Number(values['limit-kib']) });
      finish(r);
      results.push(r);
    }
  }
  process.stdout.write(`\n${textTable(['fault', 'ack', 'acked', 'ERR log unavailable', 'unanswered', 'logged not acked', 'exit', 'torn bytes'],
    results.filter((r) => r.ran).map((r) => [r.fault, r.ack, r.acked, r.refused, r.unanswered, r.loggedNotAcked, String(r.exitCode), r.tornTailBytes]))}\n`);
  for (const r of results) if (r.ran) process.stdout.write(`${r.fault}/${r.ack} stderr: ${r.message}\n`);
  saveResult('writer-faults', results);
}

if (isMain(import.meta.url)) await main();
