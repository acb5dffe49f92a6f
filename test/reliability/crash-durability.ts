/**
 * Crash durability: SIGKILL at random moments under load, restart on the
 * same log, continue; then hold the log against what the clients attempted
 * and saw acknowledged (lib/log-audit.ts).
 *
 *   node dist/test/reliability/crash-durability.js [--trials 20] [--ack all|processed|written|fsync]
 *        [--log-format seed|jsonl] [--seed N] [--min-kill-ms 20] [--max-kill-ms 1500]
 *
 * `written` and `fsync` must lose nothing (kill -9 cannot lose what reached
 * the OS). `processed` acknowledges before the log is written: what it
 * loses is measured, in records and in how long before the kill the lost
 * acknowledgements went out (the loss window).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACK_MODES, type AckMode } from '../../src/config.js';
import { IdLoad, type IdProtocol, nowMs } from './lib/id-load.js';
import { type LogFormat, type LogRecord, audit, sample, scanLog } from './lib/log-audit.js';
import { Random, randomSeed } from './lib/random.js';
import { type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { textTable } from '../../profiling/lib/bench-stats.js';
import { startRingpool, tail } from './lib/ringpool.js';

export interface CrashOptions {
  readonly ack: AckMode;
  readonly trials: number;
  readonly logFormat?: LogFormat;
  readonly seed?: number;
  /** The kill comes at a uniform random moment this long after the first acknowledgements. */
  readonly minKillMs?: number;
  readonly maxKillMs?: number;
  readonly protocols?: readonly IdProtocol[];
  readonly connections?: number;
  readonly depth?: number;
  /** Folder for the log (default: a fresh temporary folder, removed afterwards). */
  readonly dir?: string;
}

export interface CrashTrial {
  readonly trial: number;
  readonly killAfterMs: number;
  readonly attempted: number;
  readonly acked: number;
  readonly logged: number;
  /** Acknowledged but not in the log. */
  readonly lost: number;
  /**
   * When the lost acknowledgements arrived, in ms before the kill signal was
   * sent (negative: after it; they were on the wire): the loss window. Null
   * when nothing was lost.
   */
  readonly lostAckedBeforeKillMs: { readonly oldest: number; readonly newest: number } | null;
  readonly tornTailBytes: number;
}

export interface CrashResult extends ScenarioResult {
  readonly ack: AckMode;
  readonly seed: number;
  readonly trials: readonly CrashTrial[];
  readonly attempted: number;
  readonly acked: number;
  readonly logged: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly tornTails: number;
  /** The oldest lost acknowledgement of all trials, ms before its kill (null: none lost). */
  readonly lossWindowMs: number | null;
  readonly wrongAnswers: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCrashTrials(o: CrashOptions): Promise<CrashResult> {
  const seed = o.seed ?? randomSeed();
  const random = new Random(seed);
  const format = o.logFormat ?? 'seed';
  const dir = o.dir ?? tempDir('crash');
  const logFile = path.join(dir, `crash-${o.ack}.log`);
  const violations: string[] = [];
  const trials: CrashTrial[] = [];
  const attempted = new Map<string, number>();
  const acked = new Map<string, number>();
  const records: LogRecord[] = [];
  let wrongAnswers = 0;
  let tornTails = 0;
  let offset = 0;
  let previousTorn: string | null = null;
  try {
    for (let t = 0; t < o.trials; t++) {
      const server = await startRingpool({ logFile, args: ['--ack', o.ack, '--log-format', format] });
      const load = new IdLoad({
        ports: server.ports, tag: `t${t}`, protocols: o.protocols ?? ['line', 'binary', 'seed'],
        connections: o.connections ?? 4, depth: o.depth ?? 32,
      });
      try {
        await load.start();
        // "Under load": the kill waits for answers to be flowing.
        if (!await load.whenAcked(50)) violations.push(`trial ${t}: the server stopped before 50 answers\n${tail(server)}`);
        const killAfterMs = random.int(o.minKillMs ?? 20, o.maxKillMs ?? 1500);
        await sleep(killAfterMs); // a random moment, by design: not a synchronisation
        const killedAt = nowMs();
        server.child.kill('SIGKILL');
        const exit = await server.exited;
        if (exit.signal !== 'SIGKILL') violations.push(`trial ${t}: the server exited by itself (${JSON.stringify(exit)}) before the kill\n${tail(server)}`);
        await load.finished;

        const scan = scanLog(logFile, format, offset);
        offset = scan.end;
        for (const r of scan.records) records.push(r);
        // The previous crash's torn line must come back on its own, completed
        // by a newline at the restart, and not with this run's first record
        // glued to it.
        const malformed = previousTorn !== null && scan.malformed[0] === previousTorn ? scan.malformed.slice(1) : scan.malformed;
        if (previousTorn !== null && scan.malformed[0] !== previousTorn) {
          violations.push(`trial ${t}: the torn last line of trial ${t - 1} was not kept apart from the records after the restart`);
        }
        if (malformed.length > 0) violations.push(`trial ${t}: malformed complete lines: ${sample(malformed)}`);
        previousTorn = scan.tornTail;
        if (scan.tornTail !== null) tornTails++;
        const a = audit(scan.records, load.attempted, load.acked);
        const ages = a.ackedNotLogged.map((id) => killedAt - load.acked.get(id)!);
        const lostAckedBeforeKillMs = ages.length === 0 ? null
          : { oldest: ages.reduce((x, y) => Math.max(x, y)), newest: ages.reduce((x, y) => Math.min(x, y)) };
        trials.push({
          trial: t, killAfterMs, attempted: a.attempted, acked: a.acked, logged: a.logged, lost: a.ackedNotLogged.length,
          lostAckedBeforeKillMs, tornTailBytes: scan.tornTail === null ? 0 : Buffer.byteLength(scan.tornTail),
        });
        for (const [id, at] of load.attempted) attempted.set(id, at);
        for (const [id, at] of load.acked) acked.set(id, at);
        wrongAnswers += load.wrong.length;
        if (load.wrong.length > 0) violations.push(`trial ${t}: wrong answers ${sample(load.wrong)}`);
      } finally {
        await server.stop('SIGKILL');
      }
    }
  } finally {
    if (o.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }

  const all = audit(records, attempted, acked);
  const lost = all.ackedNotLogged.length;
  if (o.ack !== 'processed' && lost > 0) violations.push(`ack ${o.ack}: acknowledged but not logged: ${sample(all.ackedNotLogged)}`);
  if (all.loggedNotAttempted.length > 0) violations.push(`logged but never attempted: ${sample(all.loggedNotAttempted)}`);
  if (all.duplicates.length > 0) violations.push(`logged more than once: ${sample(all.duplicates)}`);
  if (all.wrongRecords.length > 0) violations.push(`records with a wrong result: ${sample(all.wrongRecords)}`);
  if (all.otherRecords.length > 0) violations.push(`records of no request: ${sample(all.otherRecords)}`);
  const windows = trials.flatMap((t) => (t.lostAckedBeforeKillMs === null ? [] : [t.lostAckedBeforeKillMs]));
  const lossWindowMs = windows.length === 0 ? null : Math.max(...windows.map((w) => w.oldest));
  const newest = Math.min(...windows.map((w) => w.newest));
  const loss = windows.length === 0 ? 'in none of them'
    : `in ${windows.length} of them (at most ${Math.max(...trials.map((t) => t.lost))} records in one crash; the lost acknowledgements `
      + `arrived ${lossWindowMs!.toFixed(1)} to ${newest.toFixed(1)} ms before the kill signal; negative: after it)`;
  return {
    scenario: `crash durability, --ack ${o.ack}`,
    violations,
    summary: `${o.trials} SIGKILLs; ${all.attempted} attempted, ${all.acked} acknowledged, ${all.logged} logged; `
      + `acknowledged but not logged: ${lost}${o.ack === 'processed' ? ` ${loss}` : ''}; `
      + `duplicates ${all.duplicates.length}; torn last lines ${tornTails}`,
    ack: o.ack, seed, trials, attempted: all.attempted, acked: all.acked, logged: all.logged, lost,
    duplicates: all.duplicates.length, tornTails, lossWindowMs, wrongAnswers,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '20' }, ack: { type: 'string', default: 'all' },
      'log-format': { type: 'string', default: 'seed' }, seed: { type: 'string' },
      'min-kill-ms': { type: 'string', default: '20' }, 'max-kill-ms': { type: 'string', default: '1500' },
    },
  });
  const modes = values.ack === 'all' ? ACK_MODES : ACK_MODES.filter((m) => m === values.ack);
  if (modes.length === 0) throw new Error(`--ack must be all, ${ACK_MODES.join(', ')}; got ${values.ack}`);
  process.stdout.write(`crash durability: ${machine()}\n`);
  const results: CrashResult[] = [];
  for (const ack of modes) {
    const r = await runCrashTrials({
      ack, trials: Number(values.trials), logFormat: values['log-format'] as LogFormat,
      seed: values.seed === undefined ? undefined : Number(values.seed),
      minKillMs: Number(values['min-kill-ms']), maxKillMs: Number(values['max-kill-ms']),
    });
    process.stdout.write(`\n--ack ${ack} (seed ${r.seed})\n${textTable(
      ['trial', 'kill after ms', 'attempted', 'acked', 'logged', 'lost', 'lost acks arrived, ms before kill', 'torn tail bytes'],
      r.trials.map((t) => [t.trial, t.killAfterMs, t.attempted, t.acked, t.logged, t.lost,
        t.lostAckedBeforeKillMs === null ? '-' : `${t.lostAckedBeforeKillMs.oldest.toFixed(1)} … ${t.lostAckedBeforeKillMs.newest.toFixed(1)}`, t.tornTailBytes]),
    )}\n`);
    finish(r);
    results.push(r);
  }
  saveResult('crash-durability', results);
}

if (isMain(import.meta.url)) await main();
