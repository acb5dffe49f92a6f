/**
 * Hostile input against a live server while a well-behaved client measures
 * its own latency and checks every answer. First the well-behaved client
 * alone (its baseline), then with the hostile process started but idle (the
 * control: the noise floor of the ratios), then during each attack of
 * hostile-clients.ts (that process) on its own, then during all of them at once: random
 * bytes, oversize and truncated frames, invalid UTF-8, N slow senders at one
 * byte per second, a connection flood past --max-connections, half-open
 * connections, a pipeliner that never reads.
 *
 * Long-lived hostile connections are in place before a phase is measured:
 * the slow senders are connected, and the flood has filled
 * --max-connections (its connections up to the limit are within it,
 * accepted as any client's are; the time it took is printed with the phase).
 * What the phase measures is the attack's steady state: for the flood, the
 * connections past the limit.
 *
 * Figures per phase: the server stays alive and answers; its RSS (sampled
 * every 100 ms) stays under a bound computed from the configuration; the
 * well-behaved client's p99 against its baseline (the issue asks for 2x);
 * its wrong answers and errors (must be 0); what the hostile clients saw.
 *
 * Rounds: one window's p99 is the 40th-worst of 4,000 latencies, and on two
 * shared cores it moves by 2x between windows with nothing changed (a phase
 * whose attack is 150 idle connections measured 2.45x once). So the script
 * runs every phase, the baseline included, in `--rounds` rounds (baseline,
 * then each phase, per round), and compares medians: the median of a phase's
 * p99s over the median of the baseline's. The baseline's own spread is
 * printed as the noise band.
 *
 * VM steal: a window with more than --steal-limit % is measured again, up to
 * --attempts in all (lib/steal-gate.ts says why); every set-aside window is
 * printed. A phase with most of its rounds over the limit in every attempt
 * fails the run: its figure would measure the host. Most of that steal is
 * the host's price for waking a halted vCPU, and --keep-cores-awake (on by
 * default) removes it for the baseline and every phase alike
 * (lib/awake-cores.ts).
 *
 *   node dist/test/reliability/hostile-input.js [--slow-senders 1000] [--seconds 10] [--rate 400] [--phases each|all|flood,truncated,...] [--rounds 5]
 *     [--attacker-priority sched-idle|nice-19|equal] [--flood-attacker c|node] [--steal-limit 2] [--attempts 3] [--keep-cores-awake yes|no]
 *
 * Raises the open-files limit of the server and of the hostile process with
 * `ulimit -n` when the current one is too low (and says so).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildC } from '../../profiling/lib/c-build.js';
import { type LoadOptions, type LoadResult, oneOf, runLoad } from '../../profiling/load-client.js';
import { type ServerProcess, mainThreadCpuSecondsOf, peakRssBytes } from '../../profiling/server-process.js';
import { seedRequest } from '../helpers/clients.js';
import { ATTACKS, type Attack, type HostileMessage, type HostileOptions } from './hostile-clients.js';
import { httpGet, loopDelayMs, scrapeMetrics } from './lib/http-get.js';
import { cpuTicks, fdLimitWrapper, stealPercent } from './lib/proc.js';
import { ProcSampler } from './lib/proc-sampler.js';
import { type AwakeCores, keepCoresAwake } from './lib/awake-cores.js';
import { type Gated, NO_STEAL_GATE, type StealGate, checkStealGate, measureWithinSteal } from './lib/steal-gate.js';
import { type ScenarioResult, finish, isMain, machine, mib, saveResult, tempDir } from './lib/report.js';
import { spread, textTable } from '../../profiling/lib/bench-stats.js';
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
  /** How the hostile clients' process is scheduled (default 'sched-idle'); see {@link AttackerPriority}. */
  readonly attackerPriority?: AttackerPriority;
  /** What runs the flood (default 'c'); see {@link FloodAttacker}. */
  readonly floodAttacker?: FloodAttacker;
  /** Seconds of the well-behaved client per phase. */
  readonly seconds: number;
  /** Its fixed request rate (requests per second over its 2 connections). */
  readonly rate?: number;
  /** Its warm-up before each measurement (default 2 s). */
  readonly warmupS?: number;
  /**
   * 'each': one phase per attack, then all at once; 'all': only all at once;
   * a list of attacks: one phase for each of them (to study one attack).
   */
  readonly phases?: 'each' | 'all' | readonly Attack[];
  /** Rounds of (baseline, then every phase); figures are medians over them. Default 1. */
  readonly rounds?: number;
  /**
   * A phase whose well-behaved p99 exceeds this multiple of the baseline is a
   * violation. A timing figure: set by the script (2, as the issue asks),
   * never by a test.
   */
  readonly p99Limit?: number;
  /**
   * Windows with more VM steal than this are measured again (see
   * steal-gate.ts). Default: none, every window used as it comes.
   */
  readonly stealGate?: StealGate;
  /**
   * Keep every core busy at SCHED_IDLE over the rounds, so that no vCPU
   * halts (see awake-cores.ts). Default false.
   */
  readonly keepCoresAwake?: boolean;
}

/**
 * A phase with no attack: the hostile clients' process is started and
 * stopped as in every other phase and does nothing. Its p99 against the
 * baseline is the noise floor of every other phase's ratio: what two windows
 * measured alike differ by on this machine with nothing attacking.
 */
export const CONTROL_PHASE = 'no attack (control)';

/** The well-behaved client's windows of one phase, over every round. */
export interface Measured {
  /** In the windows the figures use. */
  readonly requests: number;
  /** In every window, those measured again for steal included. */
  readonly wrong: number;
  readonly errors: number;
  /** Medians over the rounds (µs). */
  readonly p50: number;
  readonly p99: number;
  /** Each round's p99 (µs), in round order. */
  readonly p99s: readonly number[];
  /**
   * Median p99 from each request's actual write (µs): without the client's
   * own lateness in sending, which the p99 above includes (it is measured
   * from the intended send time, the fixed-rate schedule).
   */
  readonly p99FromWrite: number;
  readonly max: number;
  /** A few of the wrong answers and errors, for the report. */
  readonly samples: readonly string[];
  /** Windows measured again because of their steal (the steal gate): not in the figures above. */
  readonly setAside: readonly SetAside[];
  /** The rounds whose window in the figures is over the steal limit (no attempt was within it). */
  readonly roundsOverStealLimit: number;
}

/** A window the steal gate had measured again. */
export interface SetAside {
  readonly round: number;
  readonly p99: number;
  readonly stealPct: number;
}

export interface Phase {
  readonly name: string;
  readonly good: Measured;
  /** Median p99 over the baseline's median p99. */
  readonly p99Ratio: number;
  /** The same, from the actual writes. */
  readonly p99FromWriteRatio: number;
  readonly rssMax: number;
  readonly fdMax: number;
  /** The server's longest event-loop stall in any round of the phase, ms. */
  readonly loopStallMaxMs: number;
  /** The VM's steal time in each round, % (see GoodWindow.stealPct). */
  readonly stealPcts: readonly number[];
  /** The server's main thread in each round, % of a core (see GoodWindow.serverMainCpuPct). */
  readonly serverMainCpuPcts: readonly number[];
  /** With a flood: how long it took to fill --max-connections in each round, before measuring (ms). */
  readonly floodFillMs: readonly number[];
  readonly attacks: Record<string, number>;
}

export interface HostileInputResult extends ScenarioResult {
  readonly baseline: Measured;
  readonly rounds: number;
  readonly phases: readonly Phase[];
  readonly rssBaseline: number;
  readonly baselineLoopStallMaxMs: number;
  readonly baselineStealPcts: readonly number[];
  readonly baselineServerMainCpuPcts: readonly number[];
  /** Peak RSS after a saturating well-behaved load: the footprint of legitimate work. */
  readonly rssBusy: number;
  readonly rssBound: number;
  readonly maxConnections: number;
  readonly fdNote: string;
  readonly attackerPriority: AttackerPriority;
  readonly floodAttacker: FloodAttacker;
  readonly stealGate: StealGate;
  /** Cores kept awake by a spinner over the rounds (0: none). */
  readonly coresKeptAwake: number;
}

/**
 * How the hostile clients' process is scheduled against the server and the
 * measuring client, which share two cores with it:
 * - 'equal': their priority (nice 0);
 * - 'nice-19': the lowest nice: still a share of the cores (weight 15
 *   against nice 0's 1024), and a task that wakes preempts it only when the
 *   scheduler's fairness says so;
 * - 'sched-idle': SCHED_IDLE (`chrt --idle 0`): a task of any other policy
 *   that wakes preempts it at once, and a core running only it counts as
 *   idle when the scheduler places a waking task.
 *
 * On a real deployment the attackers' CPU is on other machines; only the
 * server's work for them, and the kernel's, is ours. Their own CPU here is a
 * cost of measuring on one machine, and flood-control.js measures how much of
 * it each setting leaves in the figures (a flood at a port nothing listens on).
 */
export type AttackerPriority = 'equal' | 'nice-19' | 'sched-idle';
export const ATTACKER_PRIORITIES: readonly AttackerPriority[] = ['equal', 'nice-19', 'sched-idle'];

function priorityCommand(priority: AttackerPriority): string[] {
  switch (priority) {
    case 'equal': return [];
    case 'nice-19': return ['nice', '-n', '19'];
    case 'sched-idle': return ['chrt', '--idle', '0'];
  }
}

/**
 * What runs the connection flood, with the same connects at the same times
 * either way:
 * - 'c': flood-attacker.c, built with gcc (~25 µs of CPU per connection
 *   attempt: the system calls);
 * - 'node': the hostile clients' own Node process (~180 µs per attempt, ~7%
 *   of a core at 400 a second: Socket and Error objects, events, its GC).
 * The attackers' CPU is not the server's on a deployment, but here it is
 * taken from the two cores the server and the measuring client share.
 */
export type FloodAttacker = 'c' | 'node';
export const FLOOD_ATTACKERS: readonly FloodAttacker[] = ['c', 'node'];

/** dist/test/reliability/ -> test/reliability/flood-attacker.c in the source tree; built next to this file. */
const FLOOD_ATTACKER_SOURCE = fileURLToPath(new URL('../../../test/reliability/flood-attacker.c', import.meta.url));
const FLOOD_ATTACKER_BINARY = fileURLToPath(new URL('./flood-attacker', import.meta.url));

/** The flood attacker's binary for HostileOptions.floodAttacker (built when needed), or null for 'node'. */
export async function floodAttackerBinary(kind: FloodAttacker): Promise<string | null> {
  switch (kind) {
    case 'node': return null;
    case 'c': {
      const built = await buildC(FLOOD_ATTACKER_SOURCE, FLOOD_ATTACKER_BINARY);
      if (!built.ok) throw new Error(`the flood attacker could not be built: ${built.reason} (--flood-attacker node runs the flood in Node instead)`);
      return built.binary;
    }
  }
}

/** The well-behaved client; its warm-up lasts warmupS and until `more.warmUntil`, if given, settles. */
export function goodClient(port: number, seconds: number, rate: number, warmupS: number,
  more: Pick<LoadOptions, 'warmUntil' | 'onMeasureStart'> = {}): Promise<LoadResult> {
  return runLoad({ port, protocol: 'line', connections: 2, depth: 16, rate, durationS: seconds, warmupS, timeoutMs: 5000, ...more });
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
  'half-open': ['half-open with a request: answered and closed by server', 'half-open with a request: turned away (too many connections)',
    'half-open with a request: refused by the kernel (listeners paused)', 'half-open with a request: reset unanswered (queued when the listeners paused)'],
  oversize: ['oversize line: refused clearly', 'oversize line: turned away (too many connections)'],
  'random-bytes': ['random binary: closed by server'],
  'never-reads': ['never-reads: bytes written'],
};

/** The baseline and every phase, by name, in the report's order. */
function withBaseline(baseline: Measured, phases: readonly Phase[]): (readonly [string, Measured])[] {
  return [['alone (baseline)', baseline], ...phases.map((p) => [p.name, p.good] as const)];
}

function measured(rounds: readonly Gated<GoodWindow>[]): Measured {
  const windows = rounds.map((r) => r.used.good);
  const all = rounds.flatMap((r) => r.attempts.map((w) => w.good));
  return {
    requests: windows.reduce((n, w) => n + w.requests, 0),
    wrong: all.reduce((n, w) => n + w.wrong, 0),
    errors: all.reduce((n, w) => n + w.errors, 0),
    p50: spread(windows.map((w) => w.latencyUs.p50)).median,
    p99: spread(windows.map((w) => w.latencyUs.p99)).median,
    p99s: windows.map((w) => w.latencyUs.p99),
    p99FromWrite: spread(windows.map((w) => w.latencyFromWriteUs.p99)).median,
    max: Math.max(...windows.map((w) => w.latencyUs.max)),
    samples: all.flatMap((w) => [...w.wrongSamples, ...w.errorSamples]).slice(0, 3).map((x) => JSON.stringify(x)),
    setAside: rounds.flatMap((r, k) => r.attempts.filter((w) => w !== r.used).map((w) => ({ round: k + 1, p99: w.good.latencyUs.p99, stealPct: w.stealPct }))),
    roundsOverStealLimit: rounds.filter((r) => !r.withinLimit).length,
  };
}

/** One window of the well-behaved client, and what the server went through meanwhile. */
export interface GoodWindow {
  readonly good: LoadResult;
  readonly rssMax: number;
  readonly fdMax: number;
  /** The server's longest event-loop stall over the window, ms (its /metrics, reset by a scrape just before). */
  readonly loopStallMs: number;
  /** The VM's steal time over the measured window (not its warm-up), % of the machine's CPU time. */
  readonly stealPct: number;
  /**
   * The server's main thread (its event loop: accepts, reads, parsing,
   * answers) over the measured window, % of one core: what the server itself
   * spent, the attack's handling included, apart from what the attackers and
   * the kernel took on the shared cores.
   */
  readonly serverMainCpuPct: number;
}

/** One phase: the attacks run in a child process while the well-behaved client measures. */
export interface PhaseWindow extends GoodWindow {
  readonly attacks: Record<string, number>;
  /** How long the flood took to fill --max-connections, before the measurement began (null: no flood). */
  readonly floodFillMs: number | null;
}

export async function measureGood(server: ServerProcess, seconds: number, rate: number, warmupS: number, warmUntil?: Promise<void>): Promise<GoodWindow> {
  const sampler = new ProcSampler(server.pid, 100);
  await scrapeMetrics(server.ports['http']!); // resets the loop-delay histogram
  let ticks = cpuTicks();
  let mainCpuAtStart = 0;
  let measureStart = 0;
  const good = await goodClient(server.ports['line']!, seconds, rate, warmupS, {
    ...(warmUntil === undefined ? {} : { warmUntil }),
    onMeasureStart: () => {
      mainCpuAtStart = mainThreadCpuSecondsOf(server.pid);
      measureStart = performance.now();
      ticks = cpuTicks();
    },
  });
  const serverMainCpuPct = (100 * (mainThreadCpuSecondsOf(server.pid) - mainCpuAtStart)) / ((performance.now() - measureStart) / 1000);
  const stealPct = stealPercent(ticks, cpuTicks());
  const m = await scrapeMetrics(server.ports['http']!);
  const { rssMax, fdMax } = await sampler.stop();
  return { good, rssMax, fdMax, loopStallMs: loopDelayMs(m, 'max'), stealPct, serverMainCpuPct };
}

export async function attackPhase(server: ServerProcess, wrapper: readonly string[], priority: AttackerPriority, options: HostileOptions, seconds: number, rate: number,
  warmupS: number): Promise<PhaseWindow> {
  const command = [...priorityCommand(priority), ...wrapper, process.execPath, HOSTILE_CLIENTS];
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
    // With a flood, measured once it has filled --max-connections (hostile-clients' floodAttack).
    const flood = options.attacks.includes('flood');
    const full = flood
      ? next().then((f) => {
        if (f.type !== 'full') throw new Error(`hostile clients said ${f.type} before full`);
        return f.floodFillMs;
      })
      : Promise.resolve(null);
    const m = await measureGood(server, seconds, rate, warmupS, flood ? full.then(() => undefined) : undefined);
    const floodFillMs = await full;
    child.send({ type: 'stop' });
    const stats = await next();
    return { ...m, attacks: stats.type === 'stats' ? stats.stats : {}, floodFillMs };
  } finally {
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill('SIGKILL');
    await gone;
    await attackersGone(server.ports['http']!);
  }
}

/**
 * Waits until the server has seen the attackers' connections close (its
 * open-connection gauge down to the scrape's own), so that the next
 * measurement does not begin against a server still full of them.
 */
async function attackersGone(httpPort: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (((await scrapeMetrics(httpPort)).get('ringpool_open_connections') ?? 0) <= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const open = (await httpGet(httpPort, '/metrics')).body.split('\n').filter((l) => l.startsWith('ringpool_open_connections{'));
  throw new Error(`the attackers' connections are still open on the server 10 s after they exited: ${open.join(', ')}`);
}

export async function runHostileInput(o: HostileInputOptions): Promise<HostileInputResult> {
  const floodSize = o.floodSize ?? 200;
  const truncated = o.truncated ?? 50;
  const rate = o.rate ?? 400;
  const attackerPriority = o.attackerPriority ?? 'sched-idle';
  const floodAttacker = o.floodAttacker ?? 'c';
  const stealGate = o.stealGate ?? NO_STEAL_GATE;
  checkStealGate(stealGate);
  const floodPlanned = !Array.isArray(o.phases) || o.phases.includes('flood'); // 'all at once' has it
  const floodAttackerPath = floodPlanned ? await floodAttackerBinary(floodAttacker) : null;
  // Room for every long-lived hostile connection and the good client; the flood goes past it.
  const maxConnections = o.slowSenders + 3 * truncated + 60;
  const { wrapper, note: fdNote } = fdLimitWrapper(maxConnections + 2 * floodSize + 1024);
  const dir = tempDir('hostile');
  const server = await startRingpool({ logFile: path.join(dir, 'hostile.log'), http: true, wrapper, args: ['--max-connections', String(maxConnections)] });
  const violations: string[] = [];
  const v = (what: string): void => void violations.push(what);
  let awake: AwakeCores | null = null;
  try {
    // The footprint of legitimate work: the peak RSS under a saturating,
    // well-behaved load. The bound allows each connection its largest
    // partial frame and bookkeeping on top of it.
    const busy = await runLoad({ port: server.ports['line']!, protocol: 'line', connections: 8, depth: 64, durationS: 3 });
    if (busy.wrong > 0 || busy.errors > 0) v(`saturating load: ${busy.wrong} wrong answers, ${busy.errors} errors`);
    const rssBusy = peakRssBytes(server.pid);
    const rssBound = rssBusy + maxConnections * (MAX_FRAME + PER_CONNECTION_OVERHEAD) + HEAP_SLACK;
    const warmupS = o.warmupS ?? 2;
    const rounds = o.rounds ?? 1;
    if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`rounds must be a positive integer, got ${rounds}`);
    const plan: [string, readonly Attack[]][] = [
      [CONTROL_PHASE, []],
      ...(o.phases === 'all' ? [] : (o.phases === 'each' || o.phases === undefined ? ATTACKS : o.phases).map((a): [string, readonly Attack[]] => [a, [a]])),
      ...(Array.isArray(o.phases) ? [] : [['all at once', ATTACKS] as [string, readonly Attack[]]]),
    ];
    // Per phase (the baseline first), over the rounds. Latency figures come
    // from the window the steal gate chose in each round; what the server
    // went through (memory, stalls, the attacks' handling) from every attempt.
    const acc = Array.from({ length: plan.length + 1 }, () => ({ rounds: [] as Gated<GoodWindow>[], rss: 0, fds: 0, stall: 0, fill: [] as number[], attacks: {} as Record<string, number> }));
    const add = (a: (typeof acc)[number], g: Gated<GoodWindow>): void => {
      a.rounds.push(g);
      for (const w of g.attempts) {
        a.rss = Math.max(a.rss, w.rssMax);
        a.fds = Math.max(a.fds, w.fdMax);
        a.stall = Math.max(a.stall, w.loopStallMs);
      }
    };
    const alone = acc[0]!;
    if (o.keepCoresAwake === true) awake = await keepCoresAwake();
    for (let round = 0; round < rounds; round++) {
      // Sampled as the attack phases are, so that both measure with the same company.
      add(alone, await measureWithinSteal(stealGate, () => measureGood(server, o.seconds, rate, warmupS)));
      for (const [k, [name, attacks]] of plan.entries()) {
        const options: HostileOptions = {
          attacks, ports: server.ports, maxFrame: MAX_FRAME, slowSenders: o.slowSenders, floodSize, truncated, halfOpenPerSecond: o.halfOpenPerSecond ?? 20,
          neverReaders: 1, floodAttacker: floodAttackerPath,
        };
        const a = acc[k + 1]!;
        const g = await measureWithinSteal(stealGate, async () => {
          const p = await attackPhase(server, wrapper, attackerPriority, options, o.seconds, rate, warmupS);
          if (p.floodFillMs !== null) a.fill.push(p.floodFillMs);
          for (const [key, n] of Object.entries(p.attacks)) a.attacks[key] = (a.attacks[key] ?? 0) + n;
          if (p.rssMax > rssBound) v(`${name} (round ${round + 1}): server RSS ${mib(p.rssMax)} MiB over its bound ${mib(rssBound)} MiB`);
          for (const attack of attacks) {
            const oneOf = EVIDENCE[attack] ?? [];
            if (oneOf.length > 0 && oneOf.every((e) => (p.attacks[e] ?? 0) === 0)) {
              v(`${name} (round ${round + 1}): the ${attack} attack did not happen as designed: none of ${JSON.stringify(oneOf)}`);
            }
          }
          return p;
        });
        add(a, g);
      }
    }
    const coresKeptAwake = awake?.cores ?? 0;
    await awake?.stop();
    awake = null;
    const baseline = measured(alone.rounds);
    const stealPcts = (a: (typeof acc)[number]): number[] => a.rounds.map((r) => r.used.stealPct);
    const mainCpuPcts = (a: (typeof acc)[number]): number[] => a.rounds.map((r) => r.used.serverMainCpuPct);
    const phases: Phase[] = plan.map(([name], k) => {
      const a = acc[k + 1]!;
      const good = measured(a.rounds);
      return {
        name, good, p99Ratio: good.p99 / Math.max(1, baseline.p99), p99FromWriteRatio: good.p99FromWrite / Math.max(1, baseline.p99FromWrite),
        rssMax: a.rss, fdMax: a.fds, loopStallMaxMs: a.stall, stealPcts: stealPcts(a), serverMainCpuPcts: mainCpuPcts(a), floodFillMs: a.fill, attacks: a.attacks,
      };
    });
    const everyMeasured = withBaseline(baseline, phases);
    // A ratio whose windows the host took CPU from, after every attempt,
    // measures the host: a run that cannot measure is not a pass.
    for (const [name, m] of everyMeasured) {
      if (o.p99Limit !== undefined && 2 * m.roundsOverStealLimit > rounds) {
        v(`${name}: ${m.roundsOverStealLimit} of ${rounds} rounds had more than ${stealGate.limitPct}% VM steal in all ${stealGate.maxAttempts} attempts: `
          + `its p99 measures the host, so its ratio proves nothing in this run`);
      }
    }
    for (const phase of phases) {
      const { name, good } = phase;
      if (o.p99Limit !== undefined && phase.p99Ratio > o.p99Limit) {
        const figure = `well-behaved client p99 ${good.p99} µs (median of ${rounds}) is ${phase.p99Ratio.toFixed(2)}x its baseline ${baseline.p99} µs`;
        v(name === CONTROL_PHASE
          ? `${name}: with nothing attacking, the ${figure}: this run's noise alone is past the limit ${o.p99Limit}x, so it cannot tell an attack's cost from noise`
          : `${name}: ${figure} (limit ${o.p99Limit}x)`);
      }
      // The other way round: a baseline inflated by noise would let every phase pass.
      if (o.p99Limit !== undefined && name === CONTROL_PHASE && phase.p99Ratio < 1 / o.p99Limit) {
        v(`${name}: with nothing attacking, the well-behaved client's p99 ${good.p99} µs is ${phase.p99Ratio.toFixed(2)}x its baseline ${baseline.p99} µs: `
          + `the baseline is inflated past the limit by noise (VM steal ${stealPcts(alone).map((x) => x.toFixed(1)).join(', ')}% in its rounds), `
          + `so a ratio within ${o.p99Limit}x proves nothing in this run`);
      }
      if (good.wrong > 0 || good.errors > 0) v(`${name}: well-behaved client got ${good.wrong} wrong answers, ${good.errors} errors ${good.samples.join(' ')}`);
      for (const [key, n] of Object.entries(phase.attacks)) if (/WRONG|OTHER|CLOSED BY SERVER|NOT FULL/u.test(key)) v(`${name}: a hostile client saw ${n} × "${key}"`);
    }
    if (baseline.wrong > 0 || baseline.errors > 0) v(`alone: well-behaved client got ${baseline.wrong} wrong answers, ${baseline.errors} errors ${baseline.samples.join(' ')}`);
    // Alive: still answering, then a clean drain.
    const health = await httpGet(server.ports['http']!, '/healthz').then((r) => r.status, (err: Error) => err.message);
    const seed = await seedRequest(server.ports['seed']!, 'abc1a').then((r) => r.answer, (err: Error) => err.message);
    const exit = await server.stop('SIGTERM');
    if (health !== 200 || seed !== '2 sí\n') v(`not alive after the attacks: /healthz ${health}, seed answer ${JSON.stringify(seed)}\n${tail(server)}`);
    if (exit.code !== 0) v(`exit ${exit.signal ?? exit.code} after SIGTERM\n${tail(server)}`);
    const last = phases.at(-1)!;
    const control = phases[0]!;
    const singles = phases.filter((p) => p !== control && p.name !== 'all at once');
    const worst = singles.reduce<Phase | null>((w, p) => (w === null || p.p99Ratio > w.p99Ratio ? p : w), null);
    return {
      scenario: 'hostile input',
      violations,
      summary: `${o.slowSenders} slow senders, flood of ${floodSize} twice a second past --max-connections ${maxConnections}, ${truncated}×3 truncated frames, `
        + `random bytes, oversize, invalid UTF-8, half-open, a never-reading pipeliner: alive; RSS max `
        + `${mib(Math.max(...phases.map((p) => p.rssMax)))} MiB (peak under a saturating legitimate load ${mib(rssBusy)}, bound ${mib(rssBound)}); well-behaved client: `
        + `${phases.reduce((n, p) => n + p.good.wrong, 0)} wrong answers, ${phases.reduce((n, p) => n + p.good.errors, 0)} errors, `
        + `p99 ${(baseline.p99 / 1000).toFixed(2)} ms alone, ${(last.good.p99 / 1000).toFixed(2)} ms (${last.p99Ratio.toFixed(2)}x) under `
        + `${last.name === 'all at once' ? 'all attacks' : last.name}`
        + `${worst === null ? '' : `, worst single attack ${worst.name} ${worst.p99Ratio.toFixed(2)}x`}, with no attack ${control.p99Ratio.toFixed(2)}x (the noise floor); `
        + `server event-loop stall max ${Math.max(...phases.map((p) => p.loopStallMaxMs)).toFixed(1)} ms under attack, ${alone.stall.toFixed(1)} ms alone`
        + (stealGate.maxAttempts === 1 ? '' : `; ${everyMeasured.reduce((n, [, m]) => n + m.setAside.length, 0)} window(s) measured again `
          + `for VM steal over ${stealGate.limitPct}%, ${everyMeasured.reduce((n, [, m]) => n + m.roundsOverStealLimit, 0)} `
          + `of ${rounds * everyMeasured.length} used over it`),
      baseline, rounds, phases, rssBaseline: alone.rss, baselineLoopStallMaxMs: alone.stall, baselineStealPcts: stealPcts(alone), baselineServerMainCpuPcts: mainCpuPcts(alone),
      rssBusy, rssBound, maxConnections, fdNote, attackerPriority, floodAttacker, stealGate, coresKeptAwake,
    };
  } finally {
    await awake?.stop().catch(() => undefined); // after a failure: that one is reported
    await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'slow-senders': { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '400' },
      flood: { type: 'string', default: '200' }, phases: { type: 'string', default: 'each' }, rounds: { type: 'string', default: '5' },
      'attacker-priority': { type: 'string', default: 'sched-idle' }, 'flood-attacker': { type: 'string', default: 'c' },
      'steal-limit': { type: 'string', default: '2' }, attempts: { type: 'string', default: '3' }, 'keep-cores-awake': { type: 'string', default: 'yes' },
    },
  });
  const phases = values.phases === 'each' || values.phases === 'all' ? values.phases : values.phases.split(',').map((a): Attack => {
    const attack = ATTACKS.find((known) => known === a);
    if (attack === undefined) throw new Error(`--phases must be each, all or a list of attacks (${ATTACKS.join(', ')}), got ${a}`);
    return attack;
  });
  const attackerPriority = oneOf('attacker-priority', values['attacker-priority'], ATTACKER_PRIORITIES)!; // both have defaults
  const floodAttacker = oneOf('flood-attacker', values['flood-attacker'], FLOOD_ATTACKERS)!;
  process.stdout.write(`hostile input: ${machine()}\n`);
  const r = await runHostileInput({
    slowSenders: Number(values['slow-senders']), seconds: Number(values.seconds), rate: Number(values.rate), floodSize: Number(values.flood),
    phases, p99Limit: 2, rounds: Number(values.rounds), attackerPriority, floodAttacker,
    stealGate: { limitPct: Number(values['steal-limit']), maxAttempts: Number(values.attempts) },
    keepCoresAwake: oneOf('keep-cores-awake', values['keep-cores-awake'], ['yes', 'no'] as const) === 'yes',
  });
  process.stdout.write(`${r.fdNote}; hostile clients scheduled ${r.attackerPriority}, the flood run by ${r.floodAttacker === 'c' ? 'flood-attacker.c' : 'their Node process'}; `
    + `${r.coresKeptAwake === 0 ? 'cores not kept awake' : `${r.coresKeptAwake} cores kept awake by SCHED_IDLE spinners`}; --max-connections ${r.maxConnections}; peak RSS under a saturating legitimate load ${mib(r.rssBusy)} MiB; `
    + `RSS bound ${mib(r.rssBound)} MiB (that + ${r.maxConnections} connections × (max frame + 128 KiB) + 64 MiB heap slack)\n${textTable(
    ['phase', 'requests', 'p50 µs', 'p99 µs', 'p99 / alone', 'p99 of each round, µs', 'max µs', 'p99 from write µs', 'from write / alone', 'wrong', 'errors',
      'server RSS max MiB', 'server fds max', 'server loop stall max ms', 'server main thread % of a core (median)', 'VM steal % of each round'],
    [['alone (baseline)', r.baseline, 1, 1, r.rssBaseline, 0, r.baselineLoopStallMaxMs, r.baselineServerMainCpuPcts, r.baselineStealPcts] as const,
      ...r.phases.map((p) => [p.name, p.good, p.p99Ratio, p.p99FromWriteRatio, p.rssMax, p.fdMax, p.loopStallMaxMs, p.serverMainCpuPcts, p.stealPcts] as const)]
      .map(([name, m, ratio, fromWriteRatio, rss, fds, stall, mainCpu, steal]) => [name, m.requests, m.p50, m.p99, ratio.toFixed(2), m.p99s.join(' '), m.max, m.p99FromWrite,
        fromWriteRatio.toFixed(2), m.wrong, m.errors, mib(rss), fds || '-', stall.toFixed(1), spread(mainCpu).median.toFixed(1), steal.map((x) => x.toFixed(1)).join(' ')]),
  )}\n${r.rounds} round(s); p50 and p99 are medians over them. The baseline's own p99 moved between `
    + `${Math.min(...r.baseline.p99s)} and ${Math.max(...r.baseline.p99s)} µs (${(Math.max(...r.baseline.p99s) / Math.max(1, Math.min(...r.baseline.p99s))).toFixed(2)}x) with nothing attacking. `
    + `The p99 is from each request's intended send time (a fixed schedule); "from write" leaves out the client's own lateness in sending.\n`
    + `VM steal is over each measured window; a window with more than ${r.stealGate.limitPct}% was measured again, up to ${r.stealGate.maxAttempts} attempts in all, `
    + `and the figures use the first within it (or the one with the least steal, counted as over). Set aside:\n`
    + withBaseline(r.baseline, r.phases).map(([name, m]) => `  ${name}: `
      + `${m.setAside.length === 0 ? 'none' : m.setAside.map((w) => `round ${w.round} p99 ${w.p99} µs at ${w.stealPct.toFixed(1)}%`).join(', ')}`
      + `${m.roundsOverStealLimit === 0 ? '' : `; ${m.roundsOverStealLimit} round(s) over the limit in every attempt`}\n`).join(''));
  for (const p of r.phases) {
    const fill = p.floodFillMs.length === 0 ? '' : `the flood filled --max-connections in ${p.floodFillMs.join(', ')} ms (each attempt), measured from then on\n`;
    process.stdout.write(`\n${p.name}:\n${fill}${textTable(['hostile client event', 'count'], Object.entries(p.attacks).sort())}\n`);
  }
  finish(r);
  saveResult('hostile-input', r);
}

if (isMain(import.meta.url)) await main();
