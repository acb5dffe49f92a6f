/**
 * Graceful drain: SIGTERM at random moments under load. Every request the
 * server accepted must be answered and logged (the log holds exactly the
 * acknowledged requests), and the server must exit 0 within the deadline.
 * /healthz must never say 200 once the drain has begun.
 *
 *   node dist/test/reliability/graceful-drain.js [--trials 30] [--seed N] [--deadline-ms 10000]
 *
 * The trials cycle through the three ack modes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACK_MODES, type AckMode } from '../../src/config.js';
import { httpGet } from './lib/http-get.js';
import { IdLoad, nowMs } from './lib/id-load.js';
import { audit, sample, scanLog } from './lib/log-audit.js';
import { Random, randomSeed } from './lib/random.js';
import { type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { textTable } from '../../profiling/lib/bench-stats.js';
import { startRingpool, tail } from './lib/ringpool.js';

export interface DrainOptions {
  readonly trials: number;
  readonly seed?: number;
  readonly minTermMs?: number;
  readonly maxTermMs?: number;
  /** --drain-timeout-ms: the exit must come before it. */
  readonly deadlineMs?: number;
}

export interface DrainTrial {
  readonly trial: number;
  readonly ack: AckMode;
  readonly termAfterMs: number;
  readonly attempted: number;
  readonly acked: number;
  readonly logged: number;
  /** SIGTERM to exit. */
  readonly drainMs: number;
  readonly exit: string;
  /** What GET /healthz said once the drain had begun: a status, or 'gone' (already exited). */
  readonly healthz: string;
}

export interface DrainResult extends ScenarioResult {
  readonly seed: number;
  readonly trials: readonly DrainTrial[];
  readonly maxDrainMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDrainTrials(o: DrainOptions): Promise<DrainResult> {
  const seed = o.seed ?? randomSeed();
  const random = new Random(seed);
  const deadlineMs = o.deadlineMs ?? 10_000;
  const dir = tempDir('drain');
  const violations: string[] = [];
  const trials: DrainTrial[] = [];
  try {
    for (let t = 0; t < o.trials; t++) {
      const ack = ACK_MODES[t % ACK_MODES.length]!;
      const logFile = path.join(dir, `drain-${t}.log`);
      const server = await startRingpool({ logFile, http: true, args: ['--ack', ack, '--drain-timeout-ms', String(deadlineMs)] });
      const load = new IdLoad({ ports: server.ports, tag: `d${t}`, protocols: ['line', 'binary', 'seed'], connections: 4, depth: 32 });
      try {
        await load.start();
        if (!await load.whenAcked(50)) violations.push(`trial ${t}: the server stopped before 50 answers\n${tail(server)}`);
        const termAfterMs = random.int(o.minTermMs ?? 20, o.maxTermMs ?? 1000);
        await sleep(termAfterMs); // a random moment, by design: not a synchronisation
        const termAt = nowMs();
        server.child.kill('SIGTERM');
        await server.waitForStderr(/"msg":"draining/);
        const healthz = await httpGet(server.ports['http']!, '/healthz').then((r) => String(r.status), () => 'gone');
        const exit = await server.exited;
        const drainMs = nowMs() - termAt;
        await load.finished;

        const scan = scanLog(logFile, 'seed');
        const a = audit(scan.records, load.attempted, load.acked);
        const exitText = exit.signal ?? String(exit.code);
        trials.push({ trial: t, ack, termAfterMs, attempted: a.attempted, acked: a.acked, logged: a.logged, drainMs, exit: exitText, healthz });
        const v = (what: string): void => void violations.push(`trial ${t} (--ack ${ack}): ${what}`);
        if (exit.code !== 0) v(`exit ${exitText}, not 0\n${tail(server)}`);
        if (drainMs > deadlineMs) v(`drain took ${drainMs.toFixed(0)} ms, deadline ${deadlineMs} ms`);
        if (healthz === '200') v('/healthz answered 200 during the drain');
        if (load.wrong.length > 0) v(`wrong answers ${sample(load.wrong)}`);
        if (a.ackedNotLogged.length > 0) v(`acknowledged, not logged: ${sample(a.ackedNotLogged)}`);
        if (a.loggedNotAcked.length > 0) v(`accepted (logged) but never answered: ${sample(a.loggedNotAcked)}`);
        if (a.loggedNotAttempted.length > 0) v(`logged, never attempted: ${sample(a.loggedNotAttempted)}`);
        if (a.duplicates.length > 0) v(`logged twice: ${sample(a.duplicates)}`);
        if (a.wrongRecords.length + a.otherRecords.length + scan.malformed.length > 0 || scan.tornTail !== null) {
          v(`log not clean: wrong ${a.wrongRecords.length}, other ${a.otherRecords.length}, malformed ${scan.malformed.length}, torn ${scan.tornTail !== null}`);
        }
      } finally {
        await server.stop('SIGKILL');
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const maxDrainMs = Math.max(0, ...trials.map((t) => t.drainMs));
  const acked = trials.reduce((n, t) => n + t.acked, 0);
  return {
    scenario: 'graceful drain',
    violations,
    summary: `${trials.length} SIGTERMs under load (ack modes in turn); ${acked} acknowledged, all logged, every logged one answered; `
      + `exit 0 every time; drain ${Math.min(...trials.map((t) => t.drainMs)).toFixed(0)}–${maxDrainMs.toFixed(0)} ms (deadline ${deadlineMs}); `
      + `/healthz during drain: ${[...new Set(trials.map((t) => t.healthz))].join('/')}`,
    seed, trials, maxDrainMs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '30' }, seed: { type: 'string' }, 'deadline-ms': { type: 'string', default: '10000' },
    },
  });
  process.stdout.write(`graceful drain: ${machine()}\n`);
  const r = await runDrainTrials({
    trials: Number(values.trials), seed: values.seed === undefined ? undefined : Number(values.seed), deadlineMs: Number(values['deadline-ms']),
  });
  process.stdout.write(`seed ${r.seed}\n${textTable(
    ['trial', 'ack', 'term after ms', 'attempted', 'acked', 'logged', 'drain ms', 'exit', 'healthz'],
    r.trials.map((t) => [t.trial, t.ack, t.termAfterMs, t.attempted, t.acked, t.logged, t.drainMs.toFixed(0), t.exit, t.healthz]),
  )}\n`);
  finish(r);
  saveResult('graceful-drain', r);
}

if (isMain(import.meta.url)) await main();
