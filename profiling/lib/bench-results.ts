/**
 * What `npm run bench` measures and concludes, apart from how it runs: the
 * matrix (scenarios, jobs), the records of runs, their summaries (medians
 * with min and max), the ringpool-to-peer ratios and the issue's targets.
 * The bench script fills them; the report page and the JSON file show them.
 */
import type { Protocol } from '../load-client.js';
import { type AckMode, type ServerKind, specLabel } from './bench-servers.js';
import { type Spread, formatSpread, spread } from './bench-stats.js';
import type { Machine } from './machine.js';

export const SCENARIOS = [
  { name: 'seed', protocol: 'seed', connections: 20, depth: 1, title: 'seed: a connection per request, 20 at a time' },
  { name: 'line-pipelined', protocol: 'line', connections: 8, depth: 64, title: 'line pipelined: 8 connections x 64 in flight' },
  { name: 'line-depth1', protocol: 'line', connections: 16, depth: 1, title: 'line depth 1: 16 connections x 1 in flight' },
] as const satisfies readonly { name: string; protocol: Protocol; connections: number; depth: number; title: string }[];
export type ScenarioName = (typeof SCENARIOS)[number]['name'];
export type Scenario = (typeof SCENARIOS)[number];

/** 12000 units of src/job/cpu-work.ts ≈ 20 µs in Node on the development machine. */
export const JOBS = [
  { name: 'trivial', work: 0, title: 'trivial job' },
  { name: 'cpu', work: 12000, title: 'CPU-bound job (--job-work 12000, ~20 µs in Node)' },
] as const;
export type JobKind = (typeof JOBS)[number]['name'];
export type Job = (typeof JOBS)[number];

/** Worker count the issue's targets name ("2 workers on 2 cores"). */
export const TARGET_WORKERS = 2;

export interface BenchOptions {
  readonly quick: boolean;
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly idleS: number;
  readonly workers: readonly number[];
  readonly acks: readonly AckMode[];
  readonly scenarios: readonly Scenario[];
  readonly jobs: readonly Job[];
  readonly servers: readonly ServerKind[];
  readonly ringpool: readonly string[] | null;
  readonly outDir: string;
  readonly json: boolean;
}

/** Which cell and which server a record is about. */
export interface RunIdentity {
  readonly scenario: ScenarioName;
  readonly job: JobKind;
  /** The server's label (ServerSpec.label). */
  readonly server: string;
  readonly kind: ServerKind;
  readonly workers: number | null;
  readonly ack: AckMode | null;
}

export interface RunRecord extends RunIdentity {
  readonly rep: number;
  /** Null when the run failed before measuring (the reason is in `failure`). */
  readonly failure: string | null;
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly requests: number;
  readonly errors: number;
  readonly wrong: number;
  readonly serverCpuS: number;
  readonly cpuSPer1000: number;
  readonly peakRssMiB: number;
  /** The load client's CPU, % of one core: near 100 the client, not the server, is the limit. */
  readonly clientCpuPct: number;
  readonly logRecords: number;
  readonly answered: number;
  readonly loadAverage1: number;
  readonly notes: readonly string[];
}

export const METRICS = ['rps', 'p50Us', 'p99Us', 'p999Us', 'cpuSPer1000', 'peakRssMiB', 'clientCpuPct'] as const;
export type Metric = (typeof METRICS)[number];

export interface CellSummary extends RunIdentity {
  readonly metrics: Readonly<Record<Metric, Spread>>;
  readonly errors: number;
  readonly wrong: number;
  readonly failures: number;
}

export interface RatioSummary {
  readonly scenario: ScenarioName;
  readonly job: JobKind;
  readonly ringpool: string;
  readonly peer: string;
  /** ringpool req/s ÷ peer req/s, per repetition. */
  readonly rps: Spread;
  /** ringpool p99 ÷ peer p99, per repetition. */
  readonly p99: Spread;
}

export interface IdleRecord {
  readonly server: string;
  readonly command: string;
  /** Length of one window. */
  readonly seconds: number;
  /** CPU seconds in the median window. */
  readonly cpuS: number;
  /** The median window, as % of one core. */
  readonly pctOfCore: number;
  /** Every window, as % of one core, in order. */
  readonly windowsPct: readonly number[];
}

export interface TargetRow {
  readonly target: string;
  readonly threshold: string;
  readonly measured: string;
  readonly met: boolean | null;
  readonly note: string;
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly elapsedS: number;
  readonly machine: Machine;
  readonly loadAverageEnd: readonly number[];
  readonly method: readonly string[];
  readonly options: Omit<BenchOptions, 'scenarios' | 'jobs'> & { readonly scenarios: readonly string[]; readonly jobs: readonly string[] };
  readonly skipped: readonly string[];
  readonly runs: readonly RunRecord[];
  readonly summaries: readonly CellSummary[];
  readonly ratios: readonly RatioSummary[];
  readonly idle: readonly IdleRecord[];
  readonly targets: readonly TargetRow[];
}

export function summarize(runs: readonly RunRecord[]): CellSummary[] {
  const keys = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.scenario}|${r.job}|${r.server}`;
    keys.set(key, [...(keys.get(key) ?? []), r]);
  }
  return [...keys.values()].map((rs) => {
    const ok = rs.filter((r) => r.failure === null);
    const first = rs[0]!;
    return {
      scenario: first.scenario, job: first.job, server: first.server, kind: first.kind, workers: first.workers, ack: first.ack,
      metrics: Object.fromEntries(METRICS.map((m) => [m, spread(ok.map((r) => r[m]).filter((n) => Number.isFinite(n)))])) as Record<Metric, Spread>,
      errors: rs.reduce((a, r) => a + r.errors, 0),
      wrong: rs.reduce((a, r) => a + r.wrong, 0),
      failures: rs.length - ok.length,
    };
  });
}

/** ringpool ÷ each peer of the same cell, per repetition; piscina only at the same pool size. */
export function ratios(runs: readonly RunRecord[]): RatioSummary[] {
  const out: RatioSummary[] = [];
  const ok = runs.filter((r) => r.failure === null && r.wrong === 0);
  const cells = [...new Set(ok.map((r) => `${r.scenario}|${r.job}`))];
  for (const cell of cells) {
    const inCell = ok.filter((r) => `${r.scenario}|${r.job}` === cell);
    const ringpools = [...new Set(inCell.filter((r) => r.kind === 'ringpool').map((r) => r.server))];
    const peers = [...new Set(inCell.filter((r) => r.kind !== 'ringpool').map((r) => r.server))];
    for (const rp of ringpools) {
      const rpWorkers = inCell.find((r) => r.server === rp)!.workers;
      for (const peer of peers) {
        const peerRun = inCell.find((r) => r.server === peer)!;
        if (peerRun.kind === 'piscina' && peerRun.workers !== rpWorkers) continue;
        const rps: number[] = [];
        const p99: number[] = [];
        for (const a of inCell.filter((r) => r.server === rp)) {
          const b = inCell.find((r) => r.server === peer && r.rep === a.rep);
          if (b === undefined) continue;
          rps.push(a.rps / b.rps);
          p99.push(a.p99Us / b.p99Us);
        }
        out.push({ scenario: peerRun.scenario, job: peerRun.job, ringpool: rp, peer, rps: spread(rps), p99: spread(p99) });
      }
    }
  }
  return out;
}

export function targets(rs: readonly RatioSummary[], idle: readonly IdleRecord[]): TargetRow[] {
  const rp = specLabel('ringpool', TARGET_WORKERS, 'written');
  const find = (scenario: ScenarioName, job: JobKind, peer: string): RatioSummary | undefined =>
    rs.find((r) => r.scenario === scenario && r.job === job && r.ringpool === rp && r.peer === peer);
  const row = (target: string, r: RatioSummary | undefined, field: 'rps' | 'p99', cmp: '>=' | '<=', threshold: number): TargetRow => {
    if (r === undefined || r[field].n === 0) return { target, threshold: `${cmp} ${threshold.toFixed(1)}x`, measured: 'not measured', met: null, note: 'that cell was not run (or failed)' };
    const m = r[field].median;
    const met = cmp === '>=' ? m >= threshold : m <= threshold;
    const by = cmp === '>=' ? threshold / m : m / threshold;
    return {
      target, threshold: `${cmp} ${threshold.toFixed(1)}x`, measured: `${formatSpread(r[field], (n) => `${n.toFixed(2)}x`)}`, met,
      note: met ? '' : `missed by a factor of ${by.toFixed(2)}`,
    };
  };
  const idleRow = idle.find((i) => i.server.startsWith('ringpool, npm start'));
  return [
    row(`line pipelined, trivial job: ${rp} / inline req/s`, find('line-pipelined', 'trivial', 'inline'), 'rps', '>=', 1.0),
    row(`line pipelined, trivial job: ${rp} / piscina w${TARGET_WORKERS} req/s`, find('line-pipelined', 'trivial', `piscina w${TARGET_WORKERS}`), 'rps', '>=', 30),
    row(`line pipelined, CPU-bound job: ${rp} / inline req/s`, find('line-pipelined', 'cpu', 'inline'), 'rps', '>=', 1.7),
    row(`seed, trivial job: ${rp} / python req/s`, find('seed', 'trivial', 'python'), 'rps', '>=', 1.0),
    row(`seed, trivial job: ${rp} / python p99`, find('seed', 'trivial', 'python'), 'p99', '<=', 0.5),
    idleRow === undefined
      ? { target: 'idle: ringpool CPU, % of one core', threshold: '<= 0.2%', measured: 'not measured', met: null, note: '' }
      : {
        target: `idle: ${idleRow.server}, CPU % of one core`, threshold: '<= 0.2%', measured: `${idleRow.pctOfCore.toFixed(3)}%`,
        met: idleRow.pctOfCore <= 0.2, note: idleRow.pctOfCore <= 0.2 ? '' : `missed by a factor of ${(idleRow.pctOfCore / 0.2).toFixed(2)}`,
      },
  ];
}
