/**
 * Repeats a trial that ran on a machine busy with other work. The gauge is
 * the trial's own run-queue share (thread-schedstat.ts: how long its busiest
 * thread sat runnable without a CPU), never the figure being measured, so
 * the choice cannot favour a result. On a 2-core machine another job that
 * takes one core makes two busy-polling threads share the other, and the
 * trial then measures the scheduler's time slices, not the ring.
 *
 * A trial above `maxWait` is run again, up to `attempts` times in all; the
 * least contended one is kept, with the number of attempts it took, and the
 * report shows its waiting share next to its figures.
 */
export const MAX_RUN_QUEUE_WAIT = 0.2;
export const ATTEMPTS = 3;

/** --quick checks that an experiment runs; its figures are not for reading, so it never repeats. */
export function attemptsFor(quick: boolean): number {
  return quick ? 1 : ATTEMPTS;
}

export type Attempted<T> = T & { readonly attempts: number };

export async function leastContended<T extends { readonly runQueueWait: number | null }>(
  trial: () => Promise<T>, maxWait = MAX_RUN_QUEUE_WAIT, attempts = ATTEMPTS,
): Promise<Attempted<T>> {
  let best: T | null = null;
  let tries = 0;
  while (tries < attempts) {
    const t = await trial();
    tries++;
    if (best === null || (t.runQueueWait ?? 0) < (best.runQueueWait ?? 0)) best = t;
    if ((t.runQueueWait ?? 0) <= maxWait) break;
  }
  return { ...best!, attempts: tries };
}
