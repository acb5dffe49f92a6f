/**
 * Worker deaths under load: persistent connections pipeline id'd requests
 * and, every so often, `__crash__` (behind --allow-fault-injection), which
 * makes the worker that takes it exit. Each death must be answered
 * `ERR internal (worker died)`; every other request answered right, in
 * order, exactly once; nothing may hang; the log must hold each answered
 * request once, plus one ERR record per death.
 *
 *   node dist/test/reliability/worker-faults.js [--deaths 100] [--every 50]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IdLoad } from './lib/id-load.js';
import { audit, sample, scanLog } from './lib/log-audit.js';
import { type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { startRingpool, tail } from './lib/ringpool.js';

export interface WorkerFaultOptions {
  readonly deaths: number;
  /** One request in `every` on each connection is a crash. */
  readonly every?: number;
  readonly workers?: number;
}

export interface WorkerFaultResult extends ScenarioResult {
  readonly deaths: number;
  readonly replacementsLogged: number;
  readonly acked: number;
  readonly seconds: number;
  readonly abandoned: number;
}

const DIED = 'ERR internal (worker died)\n';

export async function runWorkerFaults(o: WorkerFaultOptions): Promise<WorkerFaultResult> {
  const dir = tempDir('worker-faults');
  const logFile = path.join(dir, 'faults.log');
  const violations: string[] = [];
  const started = performance.now();
  const server = await startRingpool({ logFile, workers: o.workers ?? 2, args: ['--allow-fault-injection'] });
  try {
    const load = new IdLoad({
      ports: server.ports, tag: 'w', protocols: ['line', 'binary'], connections: 4, depth: 16,
      fault: { every: o.every ?? 50, message: '__crash__', answer: DIED, limit: o.deaths },
    });
    await load.start();
    const reached = await load.until(() => load.faultsAnswered + load.wrong.length >= o.deaths);
    if (!reached) violations.push(`the connections closed after ${load.faultsAnswered} of ${o.deaths} deaths\n${tail(server)}`);
    await load.stop(10_000);
    const seconds = (performance.now() - started) / 1000;
    const exit = await server.stop('SIGTERM');
    if (exit.code !== 0) violations.push(`exit ${exit.signal ?? exit.code} after SIGTERM, not 0\n${tail(server)}`);

    const replacementsLogged = server.stderrLines.filter((l) => l.includes('worker died; starting a replacement')).length;
    const scan = scanLog(logFile, 'seed');
    const a = audit(scan.records, load.attempted, load.acked);
    const deathRecords = a.otherRecords.filter((r) => r.result === 'ERR internal (worker died)').length;
    const v = (what: string): void => void violations.push(what);
    if (load.abandoned > 0) v(`hang: ${load.abandoned} requests unanswered 10 s after sending stopped`);
    if (load.faultsAnswered !== load.faultsSent) v(`${load.faultsSent} deaths injected, ${load.faultsAnswered} answered "${DIED.trim()}"`);
    if (load.wrong.length > 0) v(`wrong or misplaced answers: ${sample(load.wrong)}`);
    if (replacementsLogged !== load.faultsSent) v(`${load.faultsSent} deaths, ${replacementsLogged} replacements logged on stderr`);
    if (a.ackedNotLogged.length > 0) v(`acknowledged, not logged: ${sample(a.ackedNotLogged)}`);
    if (a.loggedNotAcked.length > 0) v(`logged, never answered: ${sample(a.loggedNotAcked)}`);
    if (a.loggedNotAttempted.length > 0) v(`logged, never attempted: ${sample(a.loggedNotAttempted)}`);
    if (a.duplicates.length > 0) v(`logged twice: ${sample(a.duplicates)}`);
    if (a.wrongRecords.length > 0) v(`wrong records: ${sample(a.wrongRecords)}`);
    if (deathRecords !== load.faultsSent || a.otherRecords.length !== deathRecords) {
      v(`${load.faultsSent} deaths but ${deathRecords} death records and ${a.otherRecords.length - deathRecords} other foreign records`);
    }
    if (scan.malformed.length > 0 || scan.tornTail !== null) v(`log not clean: malformed ${scan.malformed.length}, torn ${scan.tornTail !== null}`);
    return {
      scenario: 'worker deaths',
      violations,
      summary: `${load.faultsSent} worker deaths injected under load in ${seconds.toFixed(1)} s (${(load.faultsSent / seconds).toFixed(1)}/s), `
        + `${load.faultsAnswered} answered ERR, ${replacementsLogged} replacements; ${a.acked} other requests answered right and in order, `
        + `each logged once; ${load.abandoned} left hanging`,
      deaths: load.faultsSent, replacementsLogged, acked: a.acked, seconds, abandoned: load.abandoned,
    };
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { deaths: { type: 'string', default: '100' }, every: { type: 'string', default: '50' } } });
  process.stdout.write(`worker faults: ${machine()}\n`);
  const r = await runWorkerFaults({ deaths: Number(values.deaths), every: Number(values.every) });
  finish(r);
  saveResult('worker-faults', r);
}

if (isMain(import.meta.url)) await main();
