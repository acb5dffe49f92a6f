/**
 * Thread entry of the cursor experiments: one producer or one consumer of a
 * minimal SPSC ring (spsc-ring-32.ts, spsc-ring-64.ts), busy-polling (these
 * rings never sleep), pushing the values 0 .. count-1. The consumer checks
 * every value arrives once and in order; a trial that loses or reorders one
 * throws instead of reporting a throughput.
 */
import { serveThread } from './experiment-threads.js';
import { threadSchedstat, waitShare } from './thread-schedstat.js';
import { EMPTY, type SpscOptions, Spsc32Consumer, Spsc32Producer } from './spsc-ring-32.js';
import { type Position64, spsc64Consumer, spsc64Producer } from './spsc-ring-64.js';

export type CursorKind = 'int32' | Position64;

export interface SpscThreadData {
  readonly role: 'producer' | 'consumer';
  readonly cursors: CursorKind;
  readonly buffer: SharedArrayBuffer;
  /** strideBytes is ignored by the 64-bit ring (its cursors are 128 bytes apart). */
  readonly options: SpscOptions;
  readonly count: number;
}

/** Times are process.hrtime.bigint(): one monotonic clock for every thread. */
export interface SpscThreadResult {
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Polls that found the ring full (producer) or empty (consumer). */
  readonly idlePolls: number;
  /** Share of the timed loop this thread spent waiting for a CPU (thread-schedstat.ts). */
  readonly runQueueWait: number | null;
}

interface Pusher { tryPush(value: number): boolean }
interface Popper { tryPop(): number }

function produce(ring: Pusher, count: number, start: () => void): SpscThreadResult {
  let idlePolls = 0;
  start();
  const sched = threadSchedstat();
  const startNs = process.hrtime.bigint();
  for (let v = 0; v < count; v++) {
    while (!ring.tryPush(v)) idlePolls++;
  }
  const endNs = process.hrtime.bigint();
  return { startNs, endNs, idlePolls, runQueueWait: waitShare(sched, threadSchedstat(), Number(endNs - startNs)) };
}

function consume(ring: Popper, count: number, start: () => void): SpscThreadResult {
  let idlePolls = 0;
  start();
  const sched = threadSchedstat();
  const startNs = process.hrtime.bigint();
  for (let expected = 0; expected < count;) {
    const v = ring.tryPop();
    if (v === EMPTY) { idlePolls++; continue; }
    if (v !== expected) throw new Error(`value ${v} arrived where ${expected} was expected (lost, duplicated or reordered)`);
    expected++;
  }
  const endNs = process.hrtime.bigint();
  return { startNs, endNs, idlePolls, runQueueWait: waitShare(sched, threadSchedstat(), Number(endNs - startNs)) };
}

serveThread<SpscThreadData, SpscThreadResult>((d, start) => {
  if (d.cursors === 'int32') {
    return d.role === 'producer'
      ? produce(new Spsc32Producer(d.buffer, d.options), d.count, start)
      : consume(new Spsc32Consumer(d.buffer, d.options), d.count, start);
  }
  return d.role === 'producer'
    ? produce(spsc64Producer(d.cursors, d.buffer, d.options), d.count, start)
    : consume(spsc64Consumer(d.cursors, d.buffer, d.options), d.count, start);
});
