/**
 * npm run jmeter:seed|throughput|binary|sweep: one JMeter plan against a
 * freshly started server, checked end to end.
 *
 *   node dist/jmeter/scenario.js seed|throughput|binary|sweep [-Jname=value ...]
 *
 * For each run: start the server on ephemeral ports with its request log in
 * the run's results folder, wait for its ready line, run `jmeter/run PLAN
 * -Jport=<that listener's port>`, stop the server with SIGTERM and require
 * exit status 0 (it drains first, so every answered request is logged), then
 * compare the log with JMeter's results: exactly one record per successful
 * sample, and for seed each record shaped `| abc<N>a | 2 | sí`. Finally
 * `jmeter/report` writes report.html and prints the summary. Exit status 1 on
 * any failure (JMeter's, a failed sample, the server's exit, a log mismatch),
 * 2 on bad usage.
 *
 * sweep: throughput.jmx for every client thread count {1, 5, 20, 50} and
 * server `--workers` {1, 2, 4}, a few seconds each (-Jduration=S to change,
 * default 4), one fresh server per cell, one report page for all cells.
 *
 * This program builds nothing: `npm run build` first (the npm scripts do).
 * RINGPOOL_SERVER_CMD replaces the server command `node dist/src/main.js`
 * (split on spaces). When it contains `{log}` (and optionally `{workers}`),
 * those are substituted and no ringpool flags are added, which lets the
 * seed scenario run against the Python peer:
 *
 *   RINGPOOL_SERVER_CMD='python3 profiling/peers/python-threadpool.py --port 0 --log-file {log}' \
 *     node dist/jmeter/scenario.js seed
 *
 * Without `{log}`, the ringpool flags (ephemeral ports, --http-port off,
 * --log-file, --workers) are appended, e.g.
 * RINGPOOL_SERVER_CMD='node dist/src/main.js --binary-prefix 4' with
 * -Jtcp.binarylength.prefix.length=4 for the binary plan.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../profiling/server-process.js';
import { readJtl } from './jtl.js';

type Scenario = 'seed' | 'throughput' | 'binary' | 'sweep';
type Listener = 'seed' | 'line' | 'binary';

interface Cell {
  /** Folder name; for sweeps `threads=N,workers=M`, which jmeter/report reads as the run's label. */
  readonly name: string;
  readonly plan: 'seed.jmx' | 'throughput.jmx' | 'binary.jmx';
  readonly listener: Listener;
  readonly workers: number | undefined;
  readonly jmeterArgs: readonly string[];
}

interface CellResult {
  readonly name: string;
  readonly jtl: string;
  readonly problems: readonly string[];
}

// dist/jmeter/scenario.js -> the repository root, two levels up.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const JMETER_DIR = path.join(ROOT, 'jmeter');
const SWEEP_THREADS = [1, 5, 20, 50] as const;
const SWEEP_WORKERS = [1, 2, 4] as const;
const SWEEP_DEFAULT_DURATION_S = 4;

/**
 * A log record, `YYYY-MM-DD HH:MM:SS | ip | message | count | verdict`, or
 * `... | message | - | ERR reason` for a request answered with an error
 * (binary.jmx sends invalid UTF-8 on purpose). Anything else, such as the
 * tail of a message whose newline broke its record, is a stray line.
 */
const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| [^|]* \| .* \| (?:\d+ \| (?:sí|no)|- \| ERR .*)$/u;
/** seed.jmx sends abc<threadNum>a: 'a' occurs twice, 2 is prime. */
const SEED_RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| [^|]+ \| abc\d+a \| 2 \| sí$/u;
/** throughput.jmx's generated message `abc<thread>.<counter>a`. */
const GENERATED_RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| [^|]+ \| abc\d+\.\d+a \| 2 \| sí$/u;

function usage(): never {
  process.stderr.write('usage: node dist/jmeter/scenario.js seed|throughput|binary|sweep [-Jname=value ...]\n');
  process.exit(2);
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function cellsFor(scenario: Scenario, extra: readonly string[]): Cell[] {
  switch (scenario) {
    case 'seed':
      return [{ name: 'seed', plan: 'seed.jmx', listener: 'seed', workers: undefined, jmeterArgs: extra }];
    case 'throughput':
      return [{ name: 'throughput', plan: 'throughput.jmx', listener: 'line', workers: undefined, jmeterArgs: extra }];
    case 'binary':
      return [{ name: 'binary', plan: 'binary.jmx', listener: 'binary', workers: undefined, jmeterArgs: extra }];
    case 'sweep': {
      const hasDuration = extra.some((a) => a.startsWith('-Jduration='));
      const cells: Cell[] = [];
      for (const workers of SWEEP_WORKERS) {
        for (const threads of SWEEP_THREADS) {
          cells.push({
            name: `threads=${threads},workers=${workers}`,
            plan: 'throughput.jmx',
            listener: 'line',
            workers,
            // JMeter lets a later -J win, so the user's options come last.
            jmeterArgs: [`-Jthreads=${threads}`, ...(hasDuration ? [] : [`-Jduration=${SWEEP_DEFAULT_DURATION_S}`]), ...extra],
          });
        }
      }
      return cells;
    }
    default: {
      const never: never = scenario;
      throw new Error(`this should not happen: scenario ${String(never)}`);
    }
  }
}

/** The server command line for one run (see RINGPOOL_SERVER_CMD above). */
function serverCommand(logFile: string, workers: number | undefined): string[] {
  const custom = process.env['RINGPOOL_SERVER_CMD']?.trim();
  if (custom !== undefined && custom !== '') {
    const words = custom.split(/\s+/u);
    if (custom.includes('{log}')) {
      return words.map((w) => w.replaceAll('{log}', logFile).replaceAll('{workers}', String(workers ?? ''))).filter((w) => w !== '');
    }
    return [...words, ...ringpoolFlags(logFile, workers)];
  }
  return [process.execPath, path.join(ROOT, 'dist', 'src', 'main.js'), ...ringpoolFlags(logFile, workers)];
}

function ringpoolFlags(logFile: string, workers: number | undefined): string[] {
  return [
    // --http-port off: two runs at once (or a developer's server) would both want 8080.
    '--seed-port', '0', '--line-port', '0', '--binary-port', '0', '--http-port', 'off',
    '--log-file', logFile,
    ...(workers === undefined ? [] : ['--workers', String(workers)]),
  ];
}

/** Runs a command with inherited stdio; resolves with its exit status (a signal counts as failure). */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err) => {
      process.stderr.write(`scenario: cannot run ${cmd}: ${err.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

/** Compares the server's request log with JMeter's results; returns the problems found. */
function checkLog(cell: Cell, logFile: string, jtl: string): string[] {
  if (!fs.existsSync(jtl)) return [`${cell.name}: JMeter wrote no results file ${jtl}`];
  if (!fs.existsSync(logFile)) return [`${cell.name}: the server wrote no log file ${logFile}`];
  const problems: string[] = [];
  const samples = readJtl(jtl);
  const ok = samples.filter((s) => s.success);
  const failed = samples.length - ok.length;
  const lines = fs.readFileSync(logFile, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records = lines.filter((l) => RECORD.test(l));
  const strays = lines.filter((l) => !RECORD.test(l));
  if (strays.length > 0) problems.push(`${cell.name}: ${strays.length} log line(s) are not records, e.g. ${JSON.stringify(strays[0])}`);
  // Every request that got an answer must be logged, once. A failed sample
  // (timeout, wrong answer) may or may not have reached the server, so with
  // failures the log may hold more records than successes, never fewer.
  if (failed === 0 ? records.length !== ok.length : records.length < ok.length) {
    problems.push(`${cell.name}: ${ok.length} successful samples but ${records.length} log records`);
  }
  if (cell.plan === 'seed.jmx') {
    const odd = records.filter((r) => !SEED_RECORD.test(r));
    if (odd.length > 0) problems.push(`${cell.name}: ${odd.length} records not shaped "| abcN a | 2 | sí", e.g. ${JSON.stringify(odd[0])}`);
  }
  if (cell.plan === 'throughput.jmx' && failed === 0) {
    const generated = ok.filter((s) => s.label === 'line generated').length;
    const logged = records.filter((r) => GENERATED_RECORD.test(r)).length;
    if (generated !== logged) problems.push(`${cell.name}: ${generated} "line generated" samples but ${logged} "abcN.Na" records`);
  }
  console.log(`scenario: ${cell.name}: ${samples.length} samples, ${failed} failed, ${records.length} log records`);
  return problems;
}

async function runCell(cell: Cell, folder: string): Promise<CellResult> {
  fs.mkdirSync(folder, { recursive: true });
  const logFile = path.join(folder, 'server.log');
  const jtl = path.join(folder, 'results.jtl');
  const problems: string[] = [];
  const cmd = serverCommand(logFile, cell.workers);
  console.log(`scenario: ${cell.name}: starting ${cmd.join(' ')}`);
  const server = await startServer(cmd, { cwd: ROOT });
  const port = server.ports[cell.listener];
  if (port === undefined) {
    await server.stop();
    return { name: cell.name, jtl, problems: [`${cell.name}: the server has no ${cell.listener} listener (ports: ${JSON.stringify(server.ports)})`] };
  }
  let status = 1;
  try {
    status = await run(path.join(JMETER_DIR, 'run'), [path.join(JMETER_DIR, cell.plan), `-Jport=${port}`, ...cell.jmeterArgs], { ...process.env, JMETER_OUT: folder });
  } finally {
    const exit = await server.stop('SIGTERM');
    if (exit.code !== 0) {
      problems.push(`${cell.name}: the server exited with ${exit.code ?? exit.signal} after SIGTERM (expected 0); its last stderr lines:\n  ${server.stderrLines.slice(-5).join('\n  ')}`);
    }
  }
  if (status !== 0) problems.push(`${cell.name}: jmeter/run exited with ${status}`);
  problems.push(...checkLog(cell, logFile, jtl));
  return { name: cell.name, jtl, problems };
}

async function main(): Promise<number> {
  const [name, ...extra] = process.argv.slice(2);
  if (name !== 'seed' && name !== 'throughput' && name !== 'binary' && name !== 'sweep') usage();
  if (extra.some((a) => !a.startsWith('-J'))) usage();
  const cells = cellsFor(name, extra);
  const base = path.join(JMETER_DIR, 'results', `${timestamp()}-scenario-${name}`);
  const results: CellResult[] = [];
  for (const cell of cells) {
    const folder = cells.length === 1 ? base : path.join(base, cell.name);
    try {
      results.push(await runCell(cell, folder));
    } catch (err) {
      // The server did not start (no ready line) or a file could not be read.
      results.push({ name: cell.name, jtl: path.join(folder, 'results.jtl'), problems: [`${cell.name}: ${err instanceof Error ? err.message : String(err)}`] });
    }
  }
  const jtls = results.map((r) => r.jtl).filter((f) => fs.existsSync(f));
  let reportStatus = 0;
  if (jtls.length > 0) {
    const title = name === 'sweep' ? 'ringpool sweep: throughput.jmx, client threads x server workers' : `ringpool ${name}.jmx`;
    reportStatus = await run(path.join(JMETER_DIR, 'report'), [...jtls, '--out', path.join(base, 'report.html'), '--title', title]);
  }
  const problems = results.flatMap((r) => r.problems);
  if (reportStatus !== 0) problems.push(`jmeter/report exited with ${reportStatus}`);
  for (const p of problems) process.stderr.write(`scenario: FAILED: ${p}\n`);
  console.log(`scenario: ${name}: ${problems.length === 0 ? 'passed' : `${problems.length} problem(s)`}; results in ${base}`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
