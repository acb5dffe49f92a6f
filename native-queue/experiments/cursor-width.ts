/**
 * Experiment: 32-bit against 64-bit cursors.
 *
 * The package's cursors are Int32 words compared through signed
 * differences, so they wrap every 4 GiB of traffic and every comparison
 * must be written `((a - b) | 0) > 0`. JavaScript's Atomics also work on
 * BigInt64Array, whose cursors would never wrap; the price is BigInt.
 * Two measurements per repetition:
 *
 * 1. cost per operation, one thread, uncontended (cursor-op-costs.ts):
 *    load, store, fetch-add, compare-exchange and the position comparison,
 *    for an Int32 word, a BigInt64 word with BigInt arithmetic, and a
 *    BigInt64 word converted at each call;
 * 2. throughput of the same minimal SPSC ring with each kind of cursor
 *    (spsc-ring-32.ts with cursors 128 bytes apart, spsc-ring-64.ts), cached
 *    remote cursors, one producer and one consumer thread busy-polling.
 */
import { experimentMain } from './experiment-cli.js';
import { CURSOR_KINDS, type OpCost, measureOpCosts } from './cursor-op-costs.js';
import { type Attempted, attemptsFor, leastContended } from './contended-retry.js';
import { type SpscTrial, spscTrial } from './spsc-trial.js';

export type WidthRun = Attempted<SpscTrial> & {
  readonly kind: (typeof CURSOR_KINDS)[number];
  readonly rep: number;
};

export interface CursorWidthResult {
  readonly opIterations: number;
  readonly count: number;
  readonly reps: number;
  readonly opCosts: readonly (OpCost & { readonly rep: number })[];
  readonly runs: readonly WidthRun[];
}

const SLOTS = 1024;

await experimentMain<CursorWidthResult>('cursor-width', 5, async ({ reps, quick }) => {
  const opIterations = quick ? 300_000 : 2_000_000;
  const count = quick ? 200_000 : 1_000_000;
  const opCosts: (OpCost & { rep: number })[] = [];
  const runs: WidthRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const c of measureOpCosts(opIterations, 3)) opCosts.push({ ...c, rep });
    for (let k = 0; k < CURSOR_KINDS.length; k++) {
      const kind = CURSOR_KINDS[(k + rep) % CURSOR_KINDS.length]!;
      // 32-bit cursors start below 2^31 (the sign flip), 64-bit ones past 2^32.
      const initial = kind === 'int32' ? 2 ** 31 - 1000 : 2 ** 32 - 1000;
      const t = await leastContended(() => spscTrial(kind, { strideBytes: 128, slots: SLOTS, cacheRemote: true, initial }, count), undefined, attemptsFor(quick));
      runs.push({ kind, rep, ...t });
    }
  }
  return { opIterations, count, reps, opCosts, runs };
});
