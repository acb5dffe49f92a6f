/**
 * `npm run bench`: ringpool side by side with the servers a user would pick
 * instead (profiling/peers/), same machine, same run, same job, same load
 * client, every answer checked.
 *
 *   npm run bench -- [--quick] [--reps 3] [--duration 5] [--warmup 1] [--idle 10]
 *     [--workers 1,2] [--ack written] [--scenarios seed,line-pipelined,line-depth1]
 *     [--jobs trivial,cpu] [--servers ringpool,inline,piscina,python,c-epoll]
 *     [--ringpool "node dist/src/main.js"] [--out DIR] [--json]
 *
 * Method (printed with the results, and in the JSON and HTML):
 * - matrix: scenario {seed: a connection per request, 20 at a time; line
 *   pipelined: 8 connections x 64 in flight; line depth 1: 16 connections x
 *   1} x job {trivial; cpu: --job-work 12000, ~20 µs of JavaScript} x pool
 *   size {1, 2} for ringpool and piscina; the peers without a pool size run
 *   once per cell. A server runs a scenario only if it speaks its protocol.
 * - each run: a fresh server process, its log in a new temporary folder;
 *   the load client (profiling/load-client.ts, closed loop, the 64 messages
 *   of the original JMeter plan, every answer compared byte for byte)
 *   warms up, then measures; the server's CPU time (all threads, /proc) and
 *   peak RSS over the measured window; SIGTERM; the log's record count
 *   checked against the answers.
 * - fairness: every repetition runs every cell; within a cell the servers
 *   run in turn, in reversed order every other repetition; medians with
 *   min and max; ratios are taken per repetition, then their median.
 * - idle: every server started at once, left 20 s to settle (start-up's
 *   one-time garbage collection), then its CPU (all threads, to the
 *   nanosecond) in 3 consecutive windows of `--idle` seconds with no
 *   traffic; the median window is the figure.
 * - targets (issue 7) are evaluated on ringpool with 2 workers and its
 *   default --ack written, and printed as met/missed; nothing is tuned to them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { type LoadResult, type Protocol, runLoad } from './load-client.js';
import { writeBenchReport } from './lib/bench-report.js';
import {
  type BenchOptions, type BenchResults, type IdleRecord, JOBS, type Job, type RunIdentity, type RunRecord, SCENARIOS, type Scenario,
  ratios, summarize, targets,
} from './lib/bench-results.js';
import {
  ACK_MODES, type Executables, SERVER_KINDS, SPEAKS, type ServerKind, type ServerSpec,
  defaultExecutables, findPython, hasWorkers, serverCommand, specLabel,
} from './lib/bench-servers.js';
import { formatNumber, formatSpread, textTable } from './lib/bench-stats.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { buildCEpoll } from './peers/c-epoll-build.js';
import { cpuSecondsOf, peakRssBytes, startServer, threadsCpuSecondsOf } from './server-process.js';

/**
 * Seconds between the ready lines and the idle window. A Node process runs a
 * one-time garbage collection (V8's memory reducer) some 8 s after start-up,
 * ~25 ms of CPU, then nothing: measured from 2 s it made inline look like
 * 0.26% of a core. ringpool runs that collection in each of its isolates
 * (main, workers, writer: ~60 ms in all), 8-9 s after start on a quiet
 * machine but 16-18 s or later when other processes start at the same time,
 * as every server of the bench does: one 10 s window after a 12 s or even a
 * 30 s settle caught it in 3 of 4 runs (0.6-1.0% of a core, against 0.11-0.14%
 * in the steady state, traced second by second). So: a settle, then
 * IDLE_WINDOWS consecutive windows, and the median window is the figure (all
 * of them are printed). A cost that recurs shows in every window.
 */
const IDLE_SETTLE_S = 20;
const IDLE_WINDOWS = 3;

// ── options ─────────────────────────────────────────────────────────────────

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = path.resolve(here, '../../profiling/out/bench');

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`--${name}: unknown "${item}" (known: ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new Error(`--${name} is empty`);
  return items as T[];
}

function number(name: string, raw: string, min: number, integer: boolean): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
  return n;
}

/** 1, 2, then powers of two up to the cores (the issue's "{1, 2, ...}"). */
function defaultWorkers(): string {
  const out = [1, 2];
  for (let w = 4; w <= os.availableParallelism(); w *= 2) out.push(w);
  return out.join(',');
}

const USAGE = `Usage: npm run bench -- [options]
  --quick                1 repetition, 0.3 s warm-up + 1 s per run (under two minutes on 2 cores)
  --reps N               repetitions (default 3)       --duration S / --warmup S   per run (default 5 / 1)
  --idle S               length of each of the 3 idle windows, 0 to skip (default 10; --quick 5)
  --workers 1,2          pool sizes for ringpool and piscina (default 1, 2, then powers of two up to the cores)
  --ack written          ringpool ack modes to run: processed, written, fsync (comma-separated)
  --scenarios LIST       seed, line-pipelined, line-depth1     --jobs LIST   trivial, cpu
  --servers LIST         ringpool, inline, piscina, python, c-epoll
  --ringpool "CMD"       ringpool's command (default: node dist/src/main.js)
  --out DIR              where results.json and report.html go (default profiling/out/bench/<date>)
  --json                 the results as one JSON object on stdout
Exit status: 0; 1 when a run failed or got a wrong answer (missed targets do not fail); 64 bad usage.`;

class Help extends Error {}

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values: v } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      'quick': { type: 'boolean', default: false },
      'reps': { type: 'string' },
      'duration': { type: 'string' },
      'warmup': { type: 'string' },
      'idle': { type: 'string' },
      'workers': { type: 'string', default: defaultWorkers() },
      'ack': { type: 'string', default: 'written' },
      'scenarios': { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
      'jobs': { type: 'string', default: JOBS.map((j) => j.name).join(',') },
      'servers': { type: 'string', default: SERVER_KINDS.join(',') },
      'ringpool': { type: 'string' },
      'out': { type: 'string', default: DEFAULT_OUT },
      'json': { type: 'boolean', default: false },
      'help': { type: 'boolean', default: false },
    },
  });
  if (v.help) throw new Help();
  const scenarioNames = list('scenarios', v.scenarios, SCENARIOS.map((s) => s.name));
  const jobNames = list('jobs', v.jobs, JOBS.map((j) => j.name));
  const workers = v.workers.split(',').map((w) => number('workers', w.trim(), 1, true));
  return {
    quick: v.quick,
    reps: number('reps', v.reps ?? (v.quick ? '1' : '3'), 1, true),
    durationS: number('duration', v.duration ?? (v.quick ? '1' : '5'), 0.1, false),
    warmupS: number('warmup', v.warmup ?? (v.quick ? '0.3' : '1'), 0, false),
    idleS: number('idle', v.idle ?? (v.quick ? '5' : '10'), 0, false),
    workers: [...new Set(workers)],
    acks: list('ack', v.ack, ACK_MODES),
    scenarios: SCENARIOS.filter((s) => scenarioNames.includes(s.name)),
    jobs: JOBS.filter((j) => jobNames.includes(j.name)),
    servers: list('servers', v.servers, SERVER_KINDS),
    ringpool: v.ringpool?.split(/\s+/u).filter((s) => s !== '') ?? null,
    outDir: v.out,
    json: v.json,
  };
}

// ── running ─────────────────────────────────────────────────────────────────

/** The servers of one cell, in their forward order. */
function cellSpecs(o: BenchOptions, available: readonly ServerKind[], protocol: Protocol): ServerSpec[] {
  const specs: ServerSpec[] = [];
  for (const kind of o.servers) {
    if (!available.includes(kind) || !SPEAKS[kind].includes(protocol)) continue;
    if (!hasWorkers(kind)) { specs.push({ kind, workers: null, ack: null, label: specLabel(kind, null, null) }); continue; }
    for (const w of o.workers) {
      if (kind === 'ringpool') for (const ack of o.acks) specs.push({ kind, workers: w, ack, label: specLabel(kind, w, ack) });
      else specs.push({ kind, workers: w, ack: null, label: specLabel(kind, w, null) });
    }
  }
  return specs;
}

/** Newlines in a file, read in 1 MiB chunks (a log can be hundreds of MB). */
function countLines(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      for (let i = buf.indexOf(0x0a); i >= 0 && i < n; i = buf.indexOf(0x0a, i + 1)) lines++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

function failedRun(base: Pick<RunRecord, keyof RunIdentity | 'rep' | 'loadAverage1'>, failure: string): RunRecord {
  return {
    ...base, failure, rps: Number.NaN, p50Us: Number.NaN, p99Us: Number.NaN, p999Us: Number.NaN, maxUs: Number.NaN,
    requests: 0, errors: 0, wrong: 0, serverCpuS: Number.NaN, cpuSPer1000: Number.NaN, peakRssMiB: Number.NaN,
    clientCpuPct: Number.NaN, logRecords: 0, answered: 0, notes: [],
  };
}

async function runOne(o: BenchOptions, x: Executables, spec: ServerSpec, scenario: Scenario, job: Job, rep: number): Promise<RunRecord> {
  const base = {
    scenario: scenario.name, job: job.name, server: spec.label, kind: spec.kind, workers: spec.workers, ack: spec.ack, rep,
    loadAverage1: Math.round(os.loadavg()[0]! * 100) / 100,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-bench-'));
  const logFile = path.join(dir, 'log.txt');
  const notes: string[] = [];
  try {
    let server;
    try {
      server = await startServer(serverCommand(x, spec, { protocols: [scenario.protocol], jobWork: job.work, logFile }));
    } catch (err) {
      return failedRun(base, `could not start: ${(err as Error).message.split('\n')[0]}`);
    }
    let load: LoadResult;
    let cpuStart = 0;
    let cpuEnd = 0;
    let peak = 0;
    try {
      const port = server.ports[scenario.protocol];
      if (port === undefined) return failedRun(base, `its ready line names no ${scenario.protocol} port: ${JSON.stringify(server.ports)}`);
      load = await runLoad({
        port, protocol: scenario.protocol, connections: scenario.connections, depth: scenario.depth,
        durationS: o.durationS, warmupS: o.warmupS, messageSet: 'trivial',
        onMeasureStart: () => { cpuStart = cpuSecondsOf(server.pid); },
      });
      cpuEnd = cpuSecondsOf(server.pid);
      peak = peakRssBytes(server.pid);
    } finally {
      const exit = await server.stop();
      if (exit.code !== 0) notes.push(`exited with ${exit.code ?? exit.signal}: ${server.stderrLines.slice(-3).join(' / ')}`);
    }
    const logRecords = countLines(logFile);
    // After a clean stop every answer has its log record (each server logs
    // before or right after answering, and drains on SIGTERM).
    if (logRecords !== load.totalAnswered) notes.push(`${logRecords} log records for ${load.totalAnswered} answers`);
    if (load.wrong > 0) notes.push(`WRONG ANSWERS: ${JSON.stringify(load.wrongSamples)}`);
    if (load.errors > 0) notes.push(`errors: ${load.errorSamples.join('; ')}`);
    const serverCpuS = cpuEnd - cpuStart;
    return {
      ...base,
      failure: null,
      rps: load.rps,
      p50Us: load.latencyUs.p50,
      p99Us: load.latencyUs.p99,
      p999Us: load.latencyUs.p999,
      maxUs: load.latencyUs.max,
      requests: load.requests,
      errors: load.errors,
      wrong: load.wrong,
      serverCpuS,
      cpuSPer1000: load.requests > 0 ? (serverCpuS * 1000) / load.requests : Number.NaN,
      peakRssMiB: peak / 2 ** 20,
      clientCpuPct: (100 * load.clientCpuS) / load.durationS,
      logRecords,
      answered: load.totalAnswered,
      notes,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every server at once, idle: CPU over `idleS` seconds, as % of one core. */
async function measureIdle(o: BenchOptions, x: Executables, available: readonly ServerKind[]): Promise<IdleRecord[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-bench-idle-'));
  interface IdleSpec { readonly spec: ServerSpec; readonly httpFront: boolean; readonly label: string }
  const specs: IdleSpec[] = [];
  if (available.includes('ringpool')) {
    // As `npm start` runs it: every listener, the HTTP front and its metrics sampling, default workers.
    specs.push({ spec: { kind: 'ringpool', workers: null, ack: null, label: 'ringpool' }, httpFront: true, label: 'ringpool, npm start defaults (HTTP front on)' });
  }
  for (const kind of o.servers.filter((k) => available.includes(k))) {
    if (!hasWorkers(kind)) { specs.push({ spec: { kind, workers: null, ack: null, label: kind }, httpFront: false, label: kind }); continue; }
    for (const w of o.workers) {
      const label = specLabel(kind, w, null);
      specs.push({ spec: { kind, workers: w, ack: kind === 'ringpool' ? 'written' : null, label }, httpFront: false, label: kind === 'ringpool' ? `${label}, TCP only` : label });
    }
  }
  const servers = await Promise.all(specs.map(async (s, i) => {
    const command = serverCommand(x, s.spec, { protocols: SPEAKS[s.spec.kind], jobWork: 0, logFile: path.join(dir, `log-${i}.txt`), httpFront: s.httpFront });
    return { ...s, command, process: await startServer(command) };
  }));
  try {
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_S * 1000));
    const windows: { readonly seconds: number; readonly cpuS: number[] }[] = [];
    let before = servers.map((s) => threadsCpuSecondsOf(s.process.pid));
    for (let w = 0; w < IDLE_WINDOWS; w++) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, o.idleS * 1000));
      const seconds = (performance.now() - t0) / 1000;
      const now = servers.map((s) => threadsCpuSecondsOf(s.process.pid));
      windows.push({ seconds, cpuS: now.map((c, i) => c - before[i]!) });
      before = now;
    }
    return servers.map((s, i) => {
      const pct = windows.map((w) => (100 * w.cpuS[i]!) / w.seconds);
      const median = [...pct.keys()].sort((a, b) => pct[a]! - pct[b]!)[Math.floor(IDLE_WINDOWS / 2)]!;
      return {
        server: s.label, command: s.command.map((a) => path.basename(a)).join(' '), seconds: windows[median]!.seconds,
        cpuS: windows[median]!.cpuS[i]!, pctOfCore: pct[median]!, windowsPct: pct,
      };
    });
  } finally {
    await Promise.all(servers.map((s) => s.process.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ── printing ────────────────────────────────────────────────────────────────

function methodLines(o: BenchOptions, x: Executables): string[] {
  return [
    `load client: profiling/load-client.ts in the bench process, closed loop, the 64 messages of the original JMeter plan (abc<n>a), every answer checked byte for byte`,
    `scenarios: ${o.scenarios.map((s) => s.title).join('; ')}`,
    `jobs: ${o.jobs.map((j) => j.title).join('; ')}; every server runs the same work units (C and Python take their own time for them)`,
    `pool sizes: ${o.workers.join(', ')} for ringpool (--ack ${o.acks.join(', ')}) and piscina; inline, python (ThreadPoolExecutor of 10) and c-epoll have none`,
    `each run: fresh server process, ${o.warmupS} s warm-up + ${o.durationS} s measured; server CPU (all threads) and peak RSS from /proc; log records checked against answers`,
    `${o.reps} repetition(s); within a cell the servers run in turn, reversed every other repetition; medians (min–max); ratios per repetition, then their median`,
    `idle: all servers at once, ${IDLE_SETTLE_S} s to settle, then CPU in ${IDLE_WINDOWS} consecutive windows of ${o.idleS} s with no traffic (schedstat, all threads); the median window is the figure`,
    `log guarantee when an answer is sent: ringpool --ack written (record written to the OS; processed/fsync on request), c-epoll written (one write per epoll batch before its answers), inline and piscina none (fs.createWriteStream, asynchronous), python after the answer`,
    `ringpool: ${x.ringpool.map((a) => (a === process.execPath ? 'node' : path.isAbsolute(a) ? path.relative(path.dirname(x.dist), a) : a)).join(' ')}`,
  ];
}

function printResults(res: BenchResults, o: BenchOptions): string {
  const out: string[] = [];
  out.push('', `machine: ${machineLine(res.machine)} (at start); load average at end ${res.loadAverageEnd.join(' ')}`);
  out.push(...res.method.map((m, i) => `${i === 0 ? 'method:  ' : '         '}${m}`));
  for (const s of res.skipped) out.push(`skipped: ${s}`);
  for (const scenario of o.scenarios) {
    for (const job of o.jobs) {
      const rows = res.summaries.filter((s) => s.scenario === scenario.name && s.job === job.name);
      if (rows.length === 0) continue;
      out.push('', `== ${scenario.title}, ${job.title}`);
      out.push(textTable(
        ['server', 'req/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'CPU s/1000 req', 'peak RSS MiB', 'client CPU %', 'errors'],
        rows.map((r) => [
          r.server, formatSpread(r.metrics.rps), formatSpread(r.metrics.p50Us), formatSpread(r.metrics.p99Us), formatSpread(r.metrics.p999Us),
          formatSpread(r.metrics.cpuSPer1000), formatSpread(r.metrics.peakRssMiB, (n) => n.toFixed(0)), formatSpread(r.metrics.clientCpuPct, (n) => n.toFixed(0)),
          `${r.errors}${r.wrong > 0 ? ` WRONG ${r.wrong}` : ''}${r.failures > 0 ? ` FAILED ${r.failures}` : ''}`,
        ]),
      ));
      const rs = res.ratios.filter((r) => r.scenario === scenario.name && r.job === job.name);
      if (rs.length > 0) {
        out.push('', textTable(['ringpool / peer', 'req/s ratio', 'p99 ratio'],
          rs.map((r) => [`${r.ringpool} / ${r.peer}`, formatSpread(r.rps, (n) => `${n.toFixed(2)}x`), formatSpread(r.p99, (n) => `${n.toFixed(2)}x`)])));
      }
    }
  }
  if (res.idle.length > 0) {
    out.push('', `== idle: CPU with no traffic, median of ${res.idle[0]!.windowsPct.length} windows of ${res.idle[0]!.seconds.toFixed(1)} s`);
    out.push(textTable(['server', 'CPU ms', '% of one core', 'every window, %'],
      res.idle.map((i) => [i.server, (i.cpuS * 1000).toFixed(1), i.pctOfCore.toFixed(3), i.windowsPct.map((p) => p.toFixed(3)).join(' ')])));
  }
  out.push('', '== targets (issue 7; ringpool with 2 workers, --ack written; medians of per-repetition ratios)');
  out.push(textTable(['target', 'threshold', 'measured', 'result', 'note'],
    res.targets.map((t) => [t.target, t.threshold, t.measured, t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED', t.note])));
  const notes = res.runs.filter((r) => r.failure !== null || r.notes.length > 0);
  if (notes.length > 0) {
    out.push('', '== notes');
    for (const r of notes) out.push(`${r.scenario}/${r.job} ${r.server} rep ${r.rep + 1}: ${[r.failure, ...r.notes].filter((n) => n !== null).join('; ')}`);
  }
  return out.join('\n');
}

function gccVersion(): string | null {
  try {
    return execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

function pythonVersion(python: string | null): string | null {
  if (python === null) return null;
  try {
    return execFileSync(python, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof Help) { process.stdout.write(`${USAGE}\n`); return 0; }
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}\n`);
    return 64;
  }
  const started = new Date();
  const t0 = performance.now();
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };

  // What can run here: python3 and gcc are optional, each skip is printed.
  const skipped: string[] = [];
  const python = o.servers.includes('python') ? findPython() : null;
  if (o.servers.includes('python') && python === null) skipped.push('python: python3 not found');
  let cEpoll: string | null = null;
  if (o.servers.includes('c-epoll')) {
    const built = await buildCEpoll();
    if (built.ok) cEpoll = built.binary; else skipped.push(`c-epoll: ${built.reason}`);
  }
  for (const s of skipped) log(`bench: skipping ${s}`);
  const x = defaultExecutables(o.ringpool, python, cEpoll);
  const available = o.servers.filter((k) => (k !== 'python' || python !== null) && (k !== 'c-epoll' || cEpoll !== null));
  const machine = describeMachine(pythonVersion(python), cEpoll === null ? null : gccVersion());
  log(`bench: ${machineLine(machine)}`);

  let idle: IdleRecord[] = [];
  if (o.idleS > 0) {
    log(`bench: idle cost, all servers at once, ${IDLE_SETTLE_S} s + ${o.idleS} s ...`);
    idle = await measureIdle(o, x, available);
  }

  const cells = o.scenarios.flatMap((scenario) => o.jobs.map((job) => ({ scenario, job, specs: cellSpecs(o, available, scenario.protocol) })));
  const total = o.reps * cells.reduce((a, c) => a + c.specs.length, 0);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} runs | {eta_formatted} left | {label}', stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(total, 0, { label: '' });
  const runs: RunRecord[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    for (const cell of cells) {
      const order = rep % 2 === 0 ? cell.specs : [...cell.specs].reverse();
      for (const spec of order) {
        const label = `rep ${rep + 1}/${o.reps} ${cell.scenario.name} ${cell.job.name} ${spec.label}`;
        bar?.update({ label });
        const r = await runOne(o, x, spec, cell.scenario, cell.job, rep);
        runs.push(r);
        if (bar === null) log(`${label}: ${r.failure ?? `${formatNumber(r.rps)} req/s, p99 ${formatNumber(r.p99Us)} µs${r.errors > 0 ? `, ${r.errors} errors` : ''}${r.wrong > 0 ? `, ${r.wrong} WRONG` : ''}`}`);
        bar?.increment();
      }
    }
  }
  bar?.stop();

  const ratioRows = ratios(runs);
  const { scenarios, jobs, ...rest } = o;
  const results: BenchResults = {
    version: 1,
    startedAt: started.toISOString(),
    elapsedS: (performance.now() - t0) / 1000,
    machine,
    loadAverageEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    method: methodLines(o, x),
    options: { ...rest, scenarios: scenarios.map((s) => s.name), jobs: jobs.map((j) => j.name) },
    skipped,
    runs,
    summaries: summarize(runs),
    ratios: ratioRows,
    idle,
    targets: targets(ratioRows, idle),
  };
  const stamp = started.toISOString().replace(/[:.]/gu, '-');
  const dir = path.join(o.outDir, `${stamp}${o.quick ? '-quick' : ''}`);
  fs.mkdirSync(dir, { recursive: true });
  const jsonFile = path.join(dir, 'results.json');
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 1)}\n`);
  const htmlFile = await writeBenchReport(path.join(dir, 'report.html'), results);
  if (o.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else process.stdout.write(`${printResults(results, o)}\n`);
  log(`\nbench: ${runs.length} runs in ${results.elapsedS.toFixed(0)} s\nbench: JSON ${jsonFile}\nbench: HTML ${htmlFile}`);
  const wrong = runs.filter((r) => r.wrong > 0).length;
  const failed = runs.filter((r) => r.failure !== null).length;
  if (wrong > 0 || failed > 0) {
    process.stderr.write(`bench: ${wrong} run(s) with wrong answers, ${failed} failed run(s): see the notes\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
