/**
 * npm run profile:flame | profile:doctor | profile:bubbleprof | profile:flame:http
 *
 *   node dist/profiling/profile.js flame|doctor|bubbleprof [--http] [--duration S] [--threads N] [--workers N]
 *
 * Runs one clinic tool on the server while a load runs, non-interactively,
 * and checks what it produced:
 *
 * - load: JMeter's throughput plan through `jmeter/run`, started by clinic's
 *   `--on-port` (clinic fills in $PORT, the first port the server listens
 *   on); with --http, clinic's `--autocannon [ -m POST -b abc1a /jobs ]`
 *   against the HTTP front. The server listens on the one listener the load
 *   targets (line, or http), and the run fails if $PORT was not that
 *   listener's port.
 * - `NO_INSIGHT=1`: without it clinic 13 asks, on a terminal, whether it may
 *   send usage statistics, and in a non-interactive shell exits 0 silently.
 * - the server is started with profiling/clinic-main-thread.js preloaded,
 *   which keeps each tool on the main thread (see there: without it doctor's
 *   analysis fails and flame may profile a worker).
 * - the end: flame and doctor end the server with process.exit() once the
 *   load is over. bubbleprof 10 cannot: its preload waits for a write stream
 *   that never closes on Node 20 (profiling/README.md), so this script sends
 *   SIGTERM when the load ends and the server drains and exits by itself.
 * - checks: clinic exited 0 and wrote its HTML (path printed); the load had
 *   no failure; the request log holds every acknowledged request (JMeter's
 *   successful samples, or autocannon's 2xx answers); for flame, that the
 *   profiled isolate is the main thread's.
 *
 * Everything goes to profiling/out/<time>-<tool>/ (git-ignored). Exit status
 * 1 on any failed check, 2 on bad usage.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkAcknowledgedLogged } from './acknowledged-log-check.js';
import { positiveInt } from './lib/positive-int.js';
import { JMETER_RUN, ROOT, jmeterOutcome, throughputPlanArgs } from './jmeter-load.js';

type Tool = 'flame' | 'doctor' | 'bubbleprof';

const USAGE = `Usage: node dist/profiling/profile.js flame|doctor|bubbleprof [options]
  --http           load the HTTP front with clinic's autocannon (POST /jobs) instead of JMeter on the line listener
  --duration <s>   seconds of load, default 10 (bubbleprof: 3, see rescueBubbleprof)
  --threads <n>    JMeter threads (with --http: autocannon connections), default 20
  --workers <n>    the server's worker threads (default: the server's default)`;

const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const PRELOAD = path.join(ROOT, 'dist', 'profiling', 'clinic-main-thread.js');
const CLINIC = createRequire(import.meta.url).resolve('clinic/bin.js');
/** The HTTP load's message: two 'a', so every answer is `2 sí`. */
const HTTP_BODY = 'abc1a';
/**
 * bubbleprof's default load: its trace of every async operation fills one
 * Node trace file (524,288 events) in about 7 s of this load; beyond that
 * clinic's join of several files fails (see rescueBubbleprof).
 */
const BUBBLEPROF_DEFAULT_S = 3;
/** Longest a whole run may take beyond its load: JVM start, clinic's analysis of a large profile. */
const RUN_MARGIN_MS = 300_000;

interface Options {
  readonly tool: Tool;
  readonly http: boolean;
  readonly durationS: number;
  readonly threads: number;
  readonly workers: number | undefined;
}

function usage(message: string): never {
  process.stderr.write(`profile: ${message}\n${USAGE}\n`);
  process.exit(2);
}


function parseOptions(): Options {
  const { values, positionals } = parseArgs({
    options: {
      http: { type: 'boolean' }, duration: { type: 'string' }, threads: { type: 'string' }, workers: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); process.exit(0); }
  const tool = positionals[0];
  if (positionals.length !== 1 || (tool !== 'flame' && tool !== 'doctor' && tool !== 'bubbleprof')) usage('name one tool: flame, doctor or bubbleprof');
  return {
    tool,
    http: values.http === true,
    durationS: positiveInt('duration', values.duration, tool === 'bubbleprof' ? BUBBLEPROF_DEFAULT_S : 10, usage),
    threads: positiveInt('threads', values.threads, 20, usage),
    workers: values.workers === undefined ? undefined : positiveInt('workers', values.workers, 0, usage),
  };
}

/** Quotes a word for /bin/sh (clinic runs --on-port through a shell). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./$-]+$/u.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** clinic's load arguments: --on-port running JMeter, or --autocannon [ ... ]. */
function loadArgs(o: Options): string[] {
  if (o.http) {
    // -j: one JSON line with the 2xx count and the URL, parsed below. The
    // path comes first: clinic parses these words with subarg, where a flag
    // without a value (-j) takes the word after it as its value.
    return ['--autocannon', '[', '/jobs', '-m', 'POST', '-b', HTTP_BODY, '-c', String(o.threads), '-d', String(o.durationS), '-j', ']'];
  }
  // Runs in clinic's working directory, the run's folder: the port clinic
  // gave and JMeter's exit status are left there for the checks below.
  const jmeter = [JMETER_RUN, ...throughputPlanArgs('$PORT', { durationS: o.durationS, threads: o.threads })].map(shellWord);
  return ['--on-port', `echo "$PORT" > load-port; ${jmeter.join(' ')}; echo $? > load-status`];
}

function serverArgs(o: Options, logFile: string): string[] {
  const listeners = o.http
    ? ['--seed-port', 'off', '--line-port', 'off', '--binary-port', 'off', '--http-port', '0']
    : ['--seed-port', 'off', '--line-port', '0', '--binary-port', 'off', '--http-port', 'off'];
  return [
    process.execPath, '--import', PRELOAD, MAIN_JS, ...listeners, '--log-file', logFile,
    ...(o.workers === undefined ? [] : ['--workers', String(o.workers)]),
  ];
}

interface Seen {
  ready: { ports: Record<string, number>; ack: string } | null;
  serverPid: number | null;
  html: string | null;
  autocannon: { '2xx': number; non2xx: number; errors: number; timeouts: number; url: string } | null;
}

/** Reads one JSON line if it is one; null otherwise. */
function jsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try { return JSON.parse(line) as Record<string, unknown>; } catch { return null; }
}

function watchLine(line: string, seen: Seen): void {
  const html = /^Generated HTML file is (file:\S+)/u.exec(line);
  if (html !== null) { seen.html = fileURLToPath(html[1]!); return; }
  const json = jsonLine(line);
  if (json === null) return;
  if (json['msg'] === 'ready') seen.ready = { ports: json['ports'] as Record<string, number>, ack: String(json['ack']) };
  else if (json['msg'] === 'clinic main thread') seen.serverPid = Number(json['pid']);
  else if (typeof json['2xx'] === 'number') seen.autocannon = json as unknown as NonNullable<Seen['autocannon']>;
}

/** Runs clinic, echoing its output; resolves with its exit status once it and its output have ended. */
function runClinic(o: Options, out: string, logFile: string, seen: Seen, loadEnded: () => void): Promise<number> {
  const args = [CLINIC, o.tool, '--dest', path.join(out, 'clinic'), '--open=false', ...loadArgs(o), '--', ...serverArgs(o, logFile)];
  process.stdout.write(`profile: ${o.tool}: node ${args.map(shellWord).join(' ')}\n`);
  const child = spawn(process.execPath, args, {
    cwd: out,
    env: { ...process.env, NO_INSIGHT: '1', JMETER_OUT: path.join(out, 'jmeter') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [stream, echo] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      echo.write(`${line}\n`);
      watchLine(line, seen);
      if (seen.autocannon !== null && line.startsWith('{') && typeof jsonLine(line)?.['2xx'] === 'number') loadEnded();
    });
  }
  // JMeter's end: the on-port command writes load-status when jmeter/run returns.
  const watcher = fs.watch(out, (_event, name) => { if (name === 'load-status') loadEnded(); });
  const deadline = setTimeout(() => {
    process.stderr.write(`profile: FAILED: clinic still running ${(RUN_MARGIN_MS / 1000) + o.durationS} s after it started; killing it and the server\n`);
    if (seen.serverPid !== null) process.kill(seen.serverPid, 'SIGKILL');
    child.kill('SIGKILL');
  }, RUN_MARGIN_MS + o.durationS * 1000);
  return new Promise((resolve) => {
    child.once('error', (err) => process.stderr.write(`profile: cannot run clinic: ${err.message}\n`));
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      watcher.close();
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

/** The flame profile must be the main thread's: it runs server.js, and never worker.js or writer.js. */
function checkFlameThread(html: string): string | null {
  const dataDir = html.replace(/\.html$/u, '');
  const samples = path.join(dataDir, `${path.basename(dataDir)}-samples`);
  if (!fs.existsSync(samples)) return `flame: no samples file ${samples}`;
  const text = fs.readFileSync(samples, 'utf8');
  const has = (file: string): boolean => text.includes(pathToFileURL(path.join(ROOT, 'dist', 'src', file)).href);
  if (has('worker.js') || has('writer.js')) return `flame: the profiled isolate ran ${has('worker.js') ? 'worker.js' : 'writer.js'}: clinic profiled a worker thread, not the main thread`;
  if (!has('server.js')) return 'flame: the profile has no frame of dist/src/server.js: it is not the main thread\'s';
  return null;
}

/** Trace events in a Node trace-event file (each has one "ph" field). */
function traceEvents(file: string): number {
  return fs.readFileSync(file, 'latin1').split('"ph":').length - 1;
}

/**
 * bubbleprof's collect step ends with `Error: premature close` whenever the
 * server's trace spans more than one node_trace.N.log file (Node starts a
 * new one every 524,288 events): @clinic/node-trace-log-join (clinic 13)
 * joins several files through multistream and pump, which fail on Node 20
 * after the joined file is written, and clinic stops before drawing. The
 * joined trace is there, so draw it with `clinic bubbleprof --visualize-only`
 * and say how many events it holds against the source files (a few hundred
 * of ~700,000 go missing at the end). Returns the HTML path, or null.
 */
async function rescueBubbleprof(out: string): Promise<string | null> {
  const sources = fs.readdirSync(out).filter((f) => /^node_trace\.\d+\.log$/u.test(f)).map((f) => path.join(out, f));
  const clinicDir = path.join(out, 'clinic');
  const dataDir = fs.existsSync(clinicDir) ? fs.readdirSync(clinicDir).find((f) => f.endsWith('.clinic-bubbleprof')) : undefined;
  if (sources.length < 2 || dataDir === undefined) return null;
  const joined = path.join(clinicDir, dataDir, `${dataDir}-traceevent`);
  if (!fs.existsSync(joined)) return null;
  const expected = sources.reduce((n, f) => n + traceEvents(f), 0);
  const kept = traceEvents(joined);
  process.stdout.write(`profile: bubbleprof: clinic could not join the ${sources.length} trace files (Error: premature close); `
    + `drawing the joined trace it wrote: ${kept} of ${expected} trace events (${expected - kept} lost)\n`);
  const seen: Seen = { ready: null, serverPid: null, html: null, autocannon: null };
  const child = spawn(process.execPath, [CLINIC, 'bubbleprof', '--visualize-only', path.join(clinicDir, dataDir), '--open=false'], {
    cwd: out, env: { ...process.env, NO_INSIGHT: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => { process.stdout.write(`${line}\n`); watchLine(line, seen); });
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (status === 0) for (const f of sources) fs.rmSync(f); // their events are in the joined file
  return status === 0 ? seen.html : null;
}

/** Checks the load and the log; returns the problems found. */
function checkRun(o: Options, out: string, logFile: string, seen: Seen): string[] {
  const problems: string[] = [];
  const listener = o.http ? 'http' : 'line';
  const listenerPort = seen.ready?.ports[listener];
  if (seen.ready === null || listenerPort === undefined) return [`the server printed no ready line with a ${listener} port`];
  if (seen.ready.ack !== 'written') problems.push(`the server runs --ack ${seen.ready.ack}; the log check assumes written`);

  let acknowledged: number;
  let exact: boolean;
  let source: string;
  if (o.http) {
    const a = seen.autocannon;
    if (a === null) return [...problems, 'autocannon printed no JSON result'];
    const port = Number(new URL(a.url).port);
    if (port !== listenerPort) problems.push(`autocannon loaded port ${port}, but the http listener is on ${listenerPort}`);
    if (a.non2xx + a.errors + a.timeouts > 0) problems.push(`autocannon: ${a.non2xx} non-2xx answers, ${a.errors} errors, ${a.timeouts} timeouts`);
    acknowledged = a['2xx'];
    exact = false;
    source = 'autocannon 2xx answers; it abandons requests in flight at its end';
  } else {
    const portFile = path.join(out, 'load-port');
    const port = fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, 'utf8').trim()) : Number.NaN;
    if (port !== listenerPort) problems.push(`clinic's --on-port gave $PORT=${port}, but the line listener is on ${listenerPort}: the plan loaded another listener`);
    const statusFile = path.join(out, 'load-status');
    const status = fs.existsSync(statusFile) ? fs.readFileSync(statusFile, 'utf8').trim() : '(never written)';
    if (status !== '0') problems.push(`jmeter/run exited with ${status}`);
    const jmeter = jmeterOutcome(path.join(out, 'jmeter'));
    if (jmeter.failed > 0) problems.push(`JMeter: ${jmeter.failed} of ${jmeter.samples} samples failed`);
    acknowledged = jmeter.successful;
    exact = jmeter.failed === 0;
    source = 'JMeter successful samples';
  }
  const log = checkAcknowledgedLogged(logFile, acknowledged, exact, source);
  process.stdout.write(`profile: ${log.summary}\n`);
  if (!log.ok) problems.push(log.summary);
  return problems;
}

async function main(): Promise<number> {
  const o = parseOptions();
  const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace('T', '-').slice(0, 15);
  const out = path.join(ROOT, 'profiling', 'out', `${stamp}-${o.tool}${o.http ? '-http' : ''}`);
  fs.mkdirSync(out, { recursive: true });
  const logFile = path.join(out, 'server.log');
  const seen: Seen = { ready: null, serverPid: null, html: null, autocannon: null };

  let ended = false;
  const loadEnded = (): void => {
    if (ended) return;
    ended = true;
    if (o.tool !== 'bubbleprof') return;
    if (seen.serverPid === null) { process.stderr.write('profile: the load ended but the server never said its pid; it will not be stopped\n'); return; }
    process.stdout.write(`profile: load over; SIGTERM to the server (pid ${seen.serverPid}): bubbleprof's preload keeps it from exiting by itself\n`);
    process.kill(seen.serverPid, 'SIGTERM');
  };
  let status = await runClinic(o, out, logFile, seen, loadEnded);
  if (o.tool === 'bubbleprof' && status !== 0 && seen.html === null) {
    seen.html = await rescueBubbleprof(out);
    if (seen.html !== null) status = 0;
  }

  const problems: string[] = [];
  if (status !== 0) problems.push(`clinic ${o.tool} exited with ${status}`);
  if (seen.html === null || !fs.existsSync(seen.html)) problems.push(`clinic ${o.tool} named no HTML file, or it does not exist (${seen.html ?? 'none named'})`);
  else if (o.tool === 'flame') {
    const wrongThread = checkFlameThread(seen.html);
    if (wrongThread !== null) problems.push(wrongThread);
  }
  problems.push(...checkRun(o, out, logFile, seen));

  for (const p of problems) process.stderr.write(`profile: FAILED: ${p}\n`);
  if (seen.html !== null) process.stdout.write(`profile: ${o.tool}${o.http ? ' (http)' : ''} HTML: ${seen.html}\n`);
  process.stdout.write(`profile: ${problems.length === 0 ? 'passed' : `${problems.length} problem(s)`}; everything in ${out}\n`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
