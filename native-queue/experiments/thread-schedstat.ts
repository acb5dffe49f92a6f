/**
 * How long the calling thread ran on a CPU and how long it sat runnable in
 * the run queue waiting for one, from Linux's /proc/thread-self/schedstat
 * (nanoseconds). A synchronous read runs on the calling thread, so inside a
 * worker thread this is that worker's own figure.
 *
 * The waiting time is the experiments' contention gauge: two busy threads
 * on a machine whose cores are taken by other work wait in the run queue,
 * and every figure they produce is then about scheduling, not about the
 * ring. Null where the file does not exist (not Linux).
 */
import fs from 'node:fs';

export interface Schedstat {
  readonly runNs: number;
  readonly waitNs: number;
}

export function threadSchedstat(): Schedstat | null {
  try {
    const [run, wait] = fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { runNs: Number(run), waitNs: Number(wait) };
  } catch {
    return null;
  }
}

/** Share of `wallNs` the thread spent waiting for a CPU between two readings (0..1), or null. */
export function waitShare(before: Schedstat | null, after: Schedstat | null, wallNs: number): number | null {
  if (before === null || after === null || wallNs <= 0) return null;
  return Math.min(1, (after.waitNs - before.waitNs) / wallNs);
}

/** The worst (largest) waiting share of a trial's threads, ignoring unknowns. */
export function maxOrNull(...values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}
