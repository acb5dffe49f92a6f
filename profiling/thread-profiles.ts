/**
 * npm run profile:threads: a CPU profile of every thread of the server
 * (main, each worker, the writer) under JMeter load, which clinic cannot
 * give (it profiles one isolate: see profile.ts and README.md).
 *
 *   node dist/profiling/thread-profiles.js [--duration S] [--threads N] [--workers N] [--top N]
 *
 * 1. Starts `node --cpu-prof --cpu-prof-dir=<out>/cpuprofiles dist/src/main.js`
 *    on an ephemeral line port. --cpu-prof applies to every thread, and
 *    each thread writes its profile when it ends normally.
 * 2. Runs JMeter's throughput plan (`jmeter/run`) against the line port.
 * 3. Stops the server with SIGTERM: it drains, its threads end and it exits
 *    0 without process.exit() (src/main.ts), so every profile is written.
 * 4. Names each profile's thread from the code it ran (the server's entry
 *    files: server.js on the main thread, worker.js, writer.js), and numbers
 *    the workers by threadId (the server starts them in index order; the
 *    file name is CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile).
 * 5. Renders each profile as a self-contained HTML flame graph with 0x
 *    (`0x --visualize-cpu-profile`), writes index.html naming every thread
 *    with its top self-time functions, and prints those functions here.
 * 6. Checks that the log holds every acknowledged request.
 *
 * Output: profiling/out/<time>-threads/ (git-ignored). Exit status 1 when
 * the server, JMeter, a profile or a check fails; 2 on bad usage.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkAcknowledgedLogged } from './acknowledged-log-check.js';
import { positiveInt } from './lib/positive-int.js';
import { type SelfTime, readCpuProfile, scriptUrls, selfTimes } from './cpuprofile.js';
import { JMETER_RUN, ROOT, jmeterOutcome, throughputPlanArgs } from './jmeter-load.js';
import { startServer } from './server-process.js';

const USAGE = `Usage: node dist/profiling/thread-profiles.js [options]
  --duration <s>   seconds of JMeter load, default 10
  --threads <n>    JMeter threads, default 20
  --workers <n>    the server's worker threads (default: the server's default)
  --top <n>        functions listed per thread, default 12`;

const ZERO_X = createRequire(import.meta.url).resolve('0x/cmd.js');
const PROFILE_NAME = /^CPU\.\d{8}\.\d{6}\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/u;

type Role = 'main' | 'worker' | 'writer';

interface ThreadProfile {
  readonly file: string;
  readonly threadId: number;
  readonly role: Role;
  /** main, worker-N, writer; or `worker (thread T)` when workers cannot be numbered. */
  name: string;
  readonly seconds: number;
  readonly samples: number;
  readonly top: readonly SelfTime[];
  html: string;
}

function usage(message: string): never {
  process.stderr.write(`thread-profiles: ${message}\n${USAGE}\n`);
  process.exit(2);
}


/** Runs a command with inherited output; resolves with its exit status. */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err) => { process.stderr.write(`thread-profiles: cannot run ${cmd}: ${err.message}\n`); });
    child.once('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

/** Which of the server's threads ran this profile, from the entry file its code came from. */
function roleOf(urls: ReadonlySet<string>): Role | null {
  const ran = (file: string): boolean => urls.has(pathToFileURL(path.join(ROOT, 'dist', 'src', file)).href);
  const roles: Role[] = [];
  if (ran('server.js') || ran('main.js')) roles.push('main');
  if (ran('worker.js')) roles.push('worker');
  if (ran('writer.js')) roles.push('writer');
  return roles.length === 1 ? roles[0]! : null;
}

/** Reads every profile of the folder; problems (unreadable, unrecognised thread) are returned, not thrown. */
function readProfiles(dir: string, top: number): { profiles: ThreadProfile[]; problems: string[] } {
  const profiles: ThreadProfile[] = [];
  const problems: string[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    const m = PROFILE_NAME.exec(file);
    if (m === null) continue;
    const profile = readCpuProfile(path.join(dir, file));
    const role = roleOf(scriptUrls(profile));
    if (role === null) { problems.push(`${file}: cannot tell which thread ran it (none, or more than one, of server.js, worker.js, writer.js)`); continue; }
    profiles.push({
      file: path.join(dir, file), threadId: Number(m[2]), role, name: role,
      seconds: (profile.endTime - profile.startTime) / 1e6, samples: profile.samples.length,
      top: selfTimes(profile, ROOT).slice(0, top), html: '',
    });
  }
  return { profiles, problems };
}

/** worker-0..N-1 in threadId order when there are exactly `workers` of them (none was replaced). */
function nameWorkers(profiles: ThreadProfile[], workers: number): string | null {
  const ws = profiles.filter((p) => p.role === 'worker').sort((a, b) => a.threadId - b.threadId);
  if (ws.length === workers) {
    ws.forEach((p, i) => { p.name = `worker-${i}`; });
    return null;
  }
  for (const p of ws) p.name = `worker (thread ${p.threadId})`;
  return `${ws.length} worker profiles for --workers ${workers} (a worker was replaced, or one wrote no profile): workers are named by threadId`;
}

function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function topTableText(p: ThreadProfile): string {
  const rows = p.top.map((f) => `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(1).padStart(9)} ms  ${f.name}${f.location === '' ? '' : `  ${f.location}`}`);
  return `${p.name} (threadId ${p.threadId}): ${p.samples} samples over ${p.seconds.toFixed(1)} s; top self time:\n${rows.join('\n')}`;
}

function indexPage(profiles: readonly ThreadProfile[], method: string): string {
  const sections = profiles.map((p) => {
    const rows = p.top.map((f) => `<tr><td class="n">${(f.share * 100).toFixed(1)}%</td><td class="n">${f.ms.toFixed(1)}</td>`
      + `<td><code>${escapeHtml(f.name)}</code></td><td><code>${escapeHtml(f.location)}</code></td></tr>`).join('\n');
    return `<section><h2>${escapeHtml(p.name)} <small>threadId ${p.threadId}</small></h2>
<p><a href="${escapeHtml(path.basename(p.html))}">flame graph</a> · ${p.samples} samples over ${p.seconds.toFixed(1)} s ·
<code>${escapeHtml(path.relative(path.dirname(p.html), p.file))}</code></p>
<table><thead><tr><th>self</th><th>ms</th><th>function</th><th>where</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ringpool: one CPU profile per thread</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; max-width: 70em; }
table { border-collapse: collapse; } td, th { padding: 0.15em 0.6em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } small { color: #666; font-weight: normal; }
</style></head><body>
<h1>ringpool: one CPU profile per thread</h1>
<p>${escapeHtml(method)}</p>
<p>Wall-clock samples of each thread: <code>(idle)</code> is an event loop waiting for I/O; a worker or the writer
asleep in <code>Atomics.wait</code> shows as the ring function that called it (<code>#wait</code>). Self time is the time
a function was the top of the stack.</p>
${sections}
</body></html>
`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { duration: { type: 'string' }, threads: { type: 'string' }, workers: { type: 'string' }, top: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (positionals.length > 0) usage(`unexpected argument "${positionals[0]}"`);
  const load = { durationS: positiveInt('duration', values.duration, 10, usage), threads: positiveInt('threads', values.threads, 20, usage) };
  const top = positiveInt('top', values.top, 12, usage);

  const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace('T', '-').slice(0, 15);
  const out = path.join(ROOT, 'profiling', 'out', `${stamp}-threads`);
  const profileDir = path.join(out, 'cpuprofiles');
  const logFile = path.join(out, 'server.log');
  fs.mkdirSync(profileDir, { recursive: true });
  const problems: string[] = [];

  const cmd = [
    process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, path.join(ROOT, 'dist', 'src', 'main.js'),
    '--seed-port', 'off', '--line-port', '0', '--binary-port', 'off', '--http-port', 'off', '--log-file', logFile,
    ...(values.workers === undefined ? [] : ['--workers', String(positiveInt('workers', values.workers, 0, usage))]),
  ];
  process.stdout.write(`thread-profiles: starting ${cmd.join(' ')}\n`);
  const server = await startServer(cmd, { cwd: ROOT });
  const ready = JSON.parse(await server.waitForStderr(/"msg":"ready"/u)) as { workers: number; ack: string };
  const port = server.ports['line']!;
  let jmeterStatus = 1;
  try {
    jmeterStatus = await run(JMETER_RUN, throughputPlanArgs(String(port), load), { ...process.env, JMETER_OUT: path.join(out, 'jmeter') });
  } finally {
    const exit = await server.stop('SIGTERM');
    if (exit.code !== 0) problems.push(`the server exited with ${exit.code ?? exit.signal} after SIGTERM (expected 0: profiles are written on a normal exit only)`);
  }
  if (jmeterStatus !== 0) problems.push(`jmeter/run exited with ${jmeterStatus}`);
  const jmeter = jmeterOutcome(path.join(out, 'jmeter'));
  if (ready.ack !== 'written') problems.push(`the server runs --ack ${ready.ack}; the log check assumes written`);
  const log = checkAcknowledgedLogged(logFile, jmeter.successful, jmeter.failed === 0, 'JMeter successful samples');
  if (!log.ok) problems.push(log.summary);

  const { profiles, problems: unread } = readProfiles(profileDir, top);
  problems.push(...unread);
  const numbering = nameWorkers(profiles, ready.workers);
  if (numbering !== null) process.stderr.write(`thread-profiles: note: ${numbering}\n`);
  const expected = 2 + ready.workers;
  if (profiles.length !== expected) problems.push(`${profiles.length} thread profiles in ${profileDir}, expected ${expected} (main, writer, ${ready.workers} workers)`);
  const order: Record<Role, number> = { main: 0, worker: 1, writer: 2 };
  profiles.sort((a, b) => order[a.role] - order[b.role] || a.threadId - b.threadId);

  for (const p of profiles) {
    p.html = path.join(out, `${p.name.replace(/[^\w-]+/gu, '-')}.html`);
    const title = `ringpool ${p.name} (threadId ${p.threadId}) under throughput.jmx, ${load.threads} threads, ${load.durationS} s`;
    // cwd: 0x deletes every isolate-*.log in its working directory.
    const status = await run(process.execPath, [ZERO_X, '--visualize-cpu-profile', p.file, `--output-html=${p.html}`, '--title', title], process.env, out);
    if (status !== 0 || !fs.existsSync(p.html)) problems.push(`0x could not render ${p.file} (exit ${status})`);
  }
  const method = `${jmeter.samples} JMeter samples (${jmeter.failed} failed) from jmeter/throughput.jmx, ${load.threads} threads, `
    + `${load.durationS} s, against ${ready.workers} workers on port ${port}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), `
    + `Node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end. `
    + 'JMeter runs on the same cores as the server.';
  const index = path.join(out, 'index.html');
  fs.writeFileSync(index, indexPage(profiles, method));

  process.stdout.write(`\n${method}\n\n${profiles.map(topTableText).join('\n\n')}\n\n`);
  process.stdout.write(`thread-profiles: ${log.summary}\n`);
  for (const p of profiles) process.stdout.write(`thread-profiles: ${p.name.padEnd(10)} ${p.html}\n`);
  for (const p of problems) process.stderr.write(`thread-profiles: FAILED: ${p}\n`);
  process.stdout.write(`thread-profiles: ${problems.length === 0 ? 'passed' : `${problems.length} problem(s)`}; index: ${index}\n`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
