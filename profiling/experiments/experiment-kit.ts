/**
 * What every experiment of `npm run experiment` is to the runner
 * (experiment.ts), and the helpers they share: running one of the ring
 * experiments of native-queue/experiments/ as a child process, and turning
 * repetitions into medians with min and max.
 *
 * The ring experiments live in the native-queue package, which cannot import
 * from the repository root (no charts there); each prints one JSON object of
 * raw figures, and the module of the same name in this folder makes the
 * table and the chart from it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Spread, spread } from '../lib/bench-stats.js';
import type { Row } from '../lib/charts.js';

export interface RunOptions {
  /** Fewer and shorter trials: about 20 s an experiment, to check it runs. */
  readonly quick: boolean;
  /** Repetitions; null: each experiment's default (1 when quick). */
  readonly reps: number | null;
}

export interface Chart {
  /** File name without extension: `<experiment>` for the first chart, `<experiment>-<part>` for others. */
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

export interface ExperimentReport {
  /** What ran, how many times, with which parameters: printed above the table. */
  readonly method: string;
  /** Aligned text tables (bench-stats.ts textTable), each with a caption. */
  readonly tables: readonly { readonly caption: string; readonly text: string }[];
  /** Comparisons computed from the medians (ratios, differences), one per line. */
  readonly keyFigures: readonly string[];
  readonly charts: readonly Chart[];
  /** Everything measured, every repetition, for result.json. */
  readonly raw: unknown;
  /** The worst share of a trial's time a measured thread waited for a CPU (other load); null if unknown. */
  readonly runQueueWait: Spread | null;
}

export interface Experiment {
  readonly name: string;
  readonly title: string;
  run(o: RunOptions): Promise<ExperimentReport>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** native-queue/dist/experiments/, from dist/profiling/experiments/. */
const RING_EXPERIMENTS = path.resolve(here, '../../../native-queue/dist/experiments');

/**
 * Runs `node native-queue/dist/experiments/<name>.js [--quick] [--reps N]`,
 * passing its stderr through, and parses the JSON object it prints.
 */
export async function runRingExperiment<R>(name: string, o: RunOptions): Promise<R> {
  const args = [path.join(RING_EXPERIMENTS, `${name}.js`)];
  if (o.quick) args.push('--quick');
  if (o.reps !== null) args.push('--reps', String(o.reps));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => { out += chunk; });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${name}: ${args.join(' ')} exited with ${code}`);
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as R;
  } catch (err) {
    throw new Error(`${name}: its output is not one JSON object: ${line.slice(0, 200)}`, { cause: err });
  }
}

/**
 * Groups rows by `key` (in first-seen order) and summarises `value` of each
 * group. NaN and null values are left out (a figure the platform lacks).
 */
export function bySpread<T>(rows: readonly T[], key: (r: T) => string, value: (r: T) => number | null): Map<string, Spread> {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const k = key(r);
    const v = value(r);
    const list = groups.get(k) ?? [];
    if (v !== null && !Number.isNaN(v)) list.push(v);
    groups.set(k, list);
  }
  return new Map([...groups].map(([k, list]) => [k, spread(list)]));
}

/** The spread of one group, which must exist (a programming error otherwise). */
export function get(m: Map<string, Spread>, key: string): Spread {
  const s = m.get(key);
  if (s === undefined) throw new Error(`this should not happen: no figures for "${key}" (have ${[...m.keys()].join(', ')})`);
  return s;
}

/** Chart rows carry a spread as three fields: `median`, `min`, `max`. */
export function spreadRow(fields: Readonly<Record<string, string | number>>, s: Spread, scale = 1): Row {
  return { ...fields, median: s.median * scale, min: s.min * scale, max: s.max * scale };
}

/** The worst thread's run-queue share over every trial that reported one. */
export function contention<T extends { readonly runQueueWait: number | null }>(runs: readonly T[]): Spread | null {
  const known = runs.map((r) => r.runQueueWait).filter((w): w is number => w !== null);
  return known.length === 0 ? null : spread(known);
}

/**
 * The ring experiments repeat a trial whose busiest thread waited for a CPU
 * more than 20% of its time, up to 3 times, and keep the least contended
 * (native-queue/experiments/contended-retry.ts). Says so, with how often.
 */
export function retryNote(runs: readonly { readonly attempts?: number }[]): string {
  const repeated = runs.filter((r) => (r.attempts ?? 1) > 1).length;
  return `A trial whose busiest thread waited for a CPU more than 20% of its time (other work on the machine) was run again, up to 3 times, `
    + `keeping the least contended; the gauge is the run-queue share, never the figure measured. ${repeated} of ${runs.length} trials were repeated.`;
}

/** `42%` for a share. */
export function percent(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/** `1.23x` for a ratio of medians. */
export function ratio(a: Spread, b: Spread): string {
  return `${(a.median / b.median).toFixed(2)}x`;
}

/** `64 B`, `4 KiB`, `1 MiB`. */
export function bytesLabel(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}
