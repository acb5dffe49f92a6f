/**
 * Hostile input against a live server while a well-behaved client measures
 * its own latency and checks every answer. First the well-behaved client
 * alone (its baseline), then again during each attack of hostile-clients.ts
 * (another process) on its own, then during all of them at once: random
 * bytes, oversize and truncated frames, invalid UTF-8, N slow senders at one
 * byte per second, a connection flood past --max-connections, half-open
 * connections, a pipeliner that never reads.
 *
 * Figures per phase: the server stays alive and answers; its RSS (sampled
 * every 100 ms) stays under a bound computed from the configuration; the
 * well-behaved client's p99 against its baseline (the issue asks for 2x);
 * its wrong answers and errors (must be 0); what the hostile clients saw.
 *
 *   node dist/test/reliability/hostile-input.js [--slow-senders 1000] [--seconds 10] [--rate 400] [--phases each,all]
 *
 * Raises the open-files limit of the server and of the hostile process with
 * `ulimit -n` when the current one is too low (and says so).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type LoadResult, runLoad } from '../../profiling/load-client.js';
import { type ServerProcess, peakRssBytes, rssBytes } from '../../profiling/server-process.js';
import { seedRequest } from '../helpers/clients.js';
import { ATTACKS, type Attack, type HostileMessage, type HostileOptions } from './hostile-clients.js';
import { httpGet } from './lib/http-get.js';
import { fdCount, fdLimitWrapper } from './lib/proc.js';
import { type ScenarioResult, finish, isMain, machine, mib, saveResult, tempDir } from './lib/report.js';
import { textTable } from '../../profiling/lib/bench-stats.js';
import { startRingpool, tail } from './lib/ringpool.js';

const HOSTILE_CLIENTS = fileURLToPath(new URL('./hostile-clients.js', import.meta.url));
const MAX_FRAME = 65536;
/**
 * What one connection may hold beyond its partial frame: a retained 64 KiB
 * read chunk, its reorder window, socket bookkeeping.
 */
const PER_CONNECTION_OVERHEAD = 128 * 1024;
/**
 * V8 lets the main thread's heap grow with the allocation rate: a client
 * pipelining without reading keeps the server at full speed until the kernel
 * buffers fill (millions of requests on loopback), and its heap total then
 * rose ~40 MiB above a 3-second saturating load's (measured, 16 such
 * connections: RSS flat at ~190 MiB for 30 s while 11 M requests went by).
 */
const HEAP_SLACK = 64 * 2 ** 20;

export interface HostileInputOptions {
  readonly slowSenders: number;
  readonly floodSize?: number;
  readonly truncated?: number;
  readonly halfOpenPerSecond?: number;
  /** Seconds of the well-behaved client per phase. */
  readonly seconds: number;
  /** Its fixed request rate (requests per second over its 2 connections). */
  readonly rate?: number;
  /** Its warm-up before each measurement (default 2 s). */
  readonly warmupS?: number;
  /** 'each': one phase per attack, then all at once; 'all': only all at once. */
  readonly phases?: 'each' | 'all';
  /**
   * A phase whose well-behaved p99 exceeds this multiple of the baseline is a
   * violation. A timing figure: set by the script (2, as the issue asks),
   * never by a test.
   */
  readonly p99Limit?: number;
}

export interface Phase {
  readonly name: string;
  readonly good: LoadResult;
  readonly p99Ratio: number;
  readonly rssMax: number;
  readonly fdMax: number;
  readonly attacks: Record<string, number>;
}

export interface HostileInputResult extends ScenarioResult {
  readonly baseline: LoadResult;
  readonly phases: readonly Phase[];
  readonly rssBaseline: number;
  /** Peak RSS after a saturating well-behaved load: the footprint of legitimate work. */
  readonly rssBusy: number;
  readonly rssBound: number;
  readonly maxConnections: number;
  readonly fdNote: string;
}

function goodClient(port: number, seconds: number, rate: number, warmupS: number): Promise<LoadResult> {
  return runLoad({ port, protocol: 'line', connections: 2, depth: 16, rate, durationS: seconds, warmupS, timeoutMs: 5000 });
}

/**
 * What the hostile clients must have seen (one of) for an attack to count as
 * done. With every attack at once the flood fills --max-connections within a
 * second, so the attacks that open new connections are mostly turned away
 * there: the single-attack phases are where their handling is shown.
 */
const EVIDENCE: Partial<Record<Attack, readonly string[]>> = {
  flood: ['flood: ERR too many connections'],
  'slow-senders': ['slow sender: right answer'],
  'invalid-utf8': ['invalid UTF-8: answered ERR invalid UTF-8'],
  'half-open': ['half-open with a request: answered and closed by server', 'half-open with a request: turned away (too many connections)'],
  oversize: ['oversize line: refused clearly', 'oversize line: turned away (too many connections)'],
  'random-bytes': ['random binary: closed by server'],
  'never-reads': ['never-reads: bytes written'],
};

/** One phase: the attacks run in a child process while the well-behaved client measures. */
async function attackPhase(server: ServerProcess, wrapper: readonly string[], options: HostileOptions, seconds: number, rate: number, warmupS: number)
  : Promise<Omit<Phase, 'name' | 'p99Ratio'>> {
  const command = [...wrapper, process.execPath, HOSTILE_CLIENTS];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const inbox: HostileMessage[] = [];
    let wake: (() => void) | null = null;
    child.on('message', (m: HostileMessage) => { inbox.push(m); wake?.(); });
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`hostile clients exited (${code})`))));
    const next = async (): Promise<HostileMessage> => {
      while (inbox.length === 0) await Promise.race([new Promise<void>((resolve) => { wake = resolve; }), exited]);
      return inbox.shift()!;
    };
    child.send({ type: 'start', options });
    const ready = await next();
    if (ready.type !== 'ready') throw new Error(`hostile clients said ${ready.type} before ready`);
    let rssMax = rssBytes(server.pid);
    let fdMax = fdCount(server.pid);
    const sampler = setInterval(() => {
      try {
        rssMax = Math.max(rssMax, rssBytes(server.pid));
        fdMax = Math.max(fdMax, fdCount(server.pid));
      } catch {
        // the server is gone: the liveness check says so
      }
    }, 100);
    const good = await goodClient(server.ports['line']!, seconds, rate, warmupS);
    clearInterval(sampler);
    child.send({ type: 'stop' });
    const stats = await next();
    return { good, rssMax, fdMax, attacks: stats.type === 'stats' ? stats.stats : {} };
  } finally {
    child.kill('SIGKILL');
  }
}

export async function runHostileInput(o: HostileInputOptions): Promise<HostileInputResult> {
  const floodSize = o.floodSize ?? 200;
  const truncated = o.truncated ?? 50;
  const rate = o.rate ?? 400;
  // Room for every long-lived hostile connection and the good client; the flood goes past it.
  const maxConnections = o.slowSenders + 3 * truncated + 60;
  const { wrapper, note: fdNote } = fdLimitWrapper(maxConnections + 2 * floodSize + 1024);
  const dir = tempDir('hostile');
  const server = await startRingpool({ logFile: path.join(dir, 'hostile.log'), http: true, wrapper, args: ['--max-connections', String(maxConnections)] });
  const violations: string[] = [];
  const v = (what: string): void => void violations.push(what);
  try {
    // The footprint of legitimate work: the peak RSS under a saturating,
    // well-behaved load. The bound allows each connection its largest
    // partial frame and bookkeeping on top of it.
    const busy = await runLoad({ port: server.ports['line']!, protocol: 'line', connections: 8, depth: 64, durationS: 3 });
    if (busy.wrong > 0 || busy.errors > 0) v(`saturating load: ${busy.wrong} wrong answers, ${busy.errors} errors`);
    const rssBusy = peakRssBytes(server.pid);
    const rssBound = rssBusy + maxConnections * (MAX_FRAME + PER_CONNECTION_OVERHEAD) + HEAP_SLACK;
    const warmupS = o.warmupS ?? 2;
    const baseline = await goodClient(server.ports['line']!, o.seconds, rate, warmupS);
    const rssBaseline = rssBytes(server.pid);
    const plan: [string, readonly Attack[]][] = [
      ...(o.phases === 'all' ? [] : ATTACKS.map((a): [string, readonly Attack[]] => [a, [a]])),
      ['all at once', ATTACKS],
    ];
    const phases: Phase[] = [];
    for (const [name, attacks] of plan) {
      const options: HostileOptions = {
        attacks, ports: server.ports, maxFrame: MAX_FRAME, slowSenders: o.slowSenders, floodSize, truncated, halfOpenPerSecond: o.halfOpenPerSecond ?? 20,
        neverReaders: 1,
      };
      const p = await attackPhase(server, wrapper, options, o.seconds, rate, warmupS);
      const phase = { name, ...p, p99Ratio: p.good.latencyUs.p99 / Math.max(1, baseline.latencyUs.p99) };
      phases.push(phase);
      if (o.p99Limit !== undefined && phase.p99Ratio > o.p99Limit) {
        v(`${name}: well-behaved client p99 ${phase.good.latencyUs.p99} µs is ${phase.p99Ratio.toFixed(2)}x its baseline ${baseline.latencyUs.p99} µs (limit ${o.p99Limit}x)`);
      }
      if (p.rssMax > rssBound) v(`${name}: server RSS ${mib(p.rssMax)} MiB over its bound ${mib(rssBound)} MiB`);
      if (p.good.wrong > 0 || p.good.errors > 0) {
        v(`${name}: well-behaved client got ${p.good.wrong} wrong answers, ${p.good.errors} errors ${JSON.stringify([...p.good.wrongSamples, ...p.good.errorSamples].slice(0, 3))}`);
      }
      for (const [key, n] of Object.entries(p.attacks)) if (/WRONG|OTHER|CLOSED BY SERVER/u.test(key)) v(`${name}: a hostile client saw ${n} × "${key}"`);
      for (const a of attacks) {
        const oneOf = EVIDENCE[a] ?? [];
        if (oneOf.length > 0 && oneOf.every((e) => (p.attacks[e] ?? 0) === 0)) v(`${name}: the ${a} attack did not happen as designed: none of ${JSON.stringify(oneOf)}`);
      }
    }
    // Alive: still answering, then a clean drain.
    const health = await httpGet(server.ports['http']!, '/healthz').then((r) => r.status, (err: Error) => err.message);
    const seed = await seedRequest(server.ports['seed']!, 'abc1a').then((r) => r.answer, (err: Error) => err.message);
    const exit = await server.stop('SIGTERM');
    if (health !== 200 || seed !== '2 sí\n') v(`not alive after the attacks: /healthz ${health}, seed answer ${JSON.stringify(seed)}\n${tail(server)}`);
    if (exit.code !== 0) v(`exit ${exit.signal ?? exit.code} after SIGTERM\n${tail(server)}`);
    const all = phases.at(-1)!;
    const worst = phases.reduce((w, p) => (p.p99Ratio > w.p99Ratio ? p : w));
    return {
      scenario: 'hostile input',
      violations,
      summary: `${o.slowSenders} slow senders, flood of ${floodSize} twice a second past --max-connections ${maxConnections}, ${truncated}×3 truncated frames, `
        + `random bytes, oversize, invalid UTF-8, half-open, a never-reading pipeliner: alive; RSS max `
        + `${mib(Math.max(...phases.map((p) => p.rssMax)))} MiB (peak under a saturating legitimate load ${mib(rssBusy)}, bound ${mib(rssBound)}); well-behaved client: `
        + `${phases.reduce((n, p) => n + p.good.wrong, 0)} wrong answers, ${phases.reduce((n, p) => n + p.good.errors, 0)} errors, `
        + `p99 ${(baseline.latencyUs.p99 / 1000).toFixed(2)} ms alone, ${(all.good.latencyUs.p99 / 1000).toFixed(2)} ms (${all.p99Ratio.toFixed(2)}x) under all attacks`
        + `${phases.length > 1 ? `, worst single attack ${worst.name} ${worst.p99Ratio.toFixed(2)}x` : ''}`,
      baseline, phases, rssBaseline, rssBusy, rssBound, maxConnections, fdNote,
    };
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'slow-senders': { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '400' },
      flood: { type: 'string', default: '200' }, phases: { type: 'string', default: 'each' },
    },
  });
  if (values.phases !== 'each' && values.phases !== 'all') throw new Error(`--phases must be each or all, got ${values.phases}`);
  process.stdout.write(`hostile input: ${machine()}\n`);
  const r = await runHostileInput({
    slowSenders: Number(values['slow-senders']), seconds: Number(values.seconds), rate: Number(values.rate), floodSize: Number(values.flood),
    phases: values.phases, p99Limit: 2,
  });
  process.stdout.write(`${r.fdNote}; --max-connections ${r.maxConnections}; peak RSS under a saturating legitimate load ${mib(r.rssBusy)} MiB; `
    + `RSS bound ${mib(r.rssBound)} MiB (that + ${r.maxConnections} connections × (max frame + 128 KiB) + 64 MiB heap slack)\n${textTable(
    ['phase', 'requests', 'p50 µs', 'p99 µs', 'p99 / alone', 'max µs', 'wrong', 'errors', 'server RSS max MiB', 'server fds max'],
    [['alone (baseline)', r.baseline, 1, r.rssBaseline, 0] as const, ...r.phases.map((p) => [p.name, p.good, p.p99Ratio, p.rssMax, p.fdMax] as const)]
      .map(([name, l, ratio, rss, fds]) => [name, l.requests, l.latencyUs.p50, l.latencyUs.p99, ratio.toFixed(2), l.latencyUs.max, l.wrong, l.errors, mib(rss), fds || '-']),
  )}\n`);
  for (const p of r.phases) process.stdout.write(`\n${p.name}:\n${textTable(['hostile client event', 'count'], Object.entries(p.attacks).sort())}\n`);
  finish(r);
  saveResult('hostile-input', r);
}

if (isMain(import.meta.url)) await main();
