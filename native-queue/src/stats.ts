import {
  CONSUMER_STATS_OFFSET, DATA_OFFSET, PRODUCER_STATS_OFFSET, READ, STAT_BYTES, STAT_CAS_RETRIES,
  STAT_EMPTY, STAT_FIELDS, STAT_FULL, STAT_NOTIFIES, STAT_RECORDS, STAT_SLEEPS, STAT_SPURIOUS,
  STATS_SLOT_BYTES, STATS_SLOTS, WRITE,
} from './layout.js';

/** One side's counters, summed over every thread's slot. */
export interface SideStats {
  /** Records pushed (producer side) or taken (consumer side). */
  readonly records: number;
  /** Payload bytes of those records (headers and padding excluded). */
  readonly bytes: number;
  /** Producer: pushes refused because the ring was full. */
  readonly fullEvents: number;
  /** Consumer: polls that found the ring empty. */
  readonly emptyPolls: number;
  /** Times a thread of this side went to sleep (Atomics.wait or waitAsync). */
  readonly sleeps: number;
  /** Atomics.notify calls made by this side to wake the other. */
  readonly notifies: number;
  /** Wake-ups that found nothing to do. */
  readonly spuriousWakeups: number;
  /** Lost compare-and-swap races (contention between threads of this side). */
  readonly casRetries: number;
}

export interface RingStats {
  readonly producer: SideStats;
  readonly consumer: SideStats;
  /** Bytes currently between the read and write cursors (headers included). */
  readonly queuedBytes: number;
}

function sumSide(buffer: SharedArrayBuffer, offset: number): SideStats {
  const totals = new Float64Array(STAT_FIELDS);
  for (let slot = 0; slot < STATS_SLOTS; slot++) {
    const view = new Float64Array(buffer, offset + slot * STATS_SLOT_BYTES, STAT_FIELDS);
    for (let f = 0; f < STAT_FIELDS; f++) totals[f]! += view[f]!;
  }
  return {
    records: totals[STAT_RECORDS]!,
    bytes: totals[STAT_BYTES]!,
    fullEvents: totals[STAT_FULL]!,
    emptyPolls: totals[STAT_EMPTY]!,
    sleeps: totals[STAT_SLEEPS]!,
    notifies: totals[STAT_NOTIFIES]!,
    spuriousWakeups: totals[STAT_SPURIOUS]!,
    casRetries: totals[STAT_CAS_RETRIES]!,
  };
}

/**
 * Reads every counter of a ring from any thread, given only its buffer.
 * Allocates (it is for scrapes and reports, not for the hot path).
 */
export function readStats(buffer: SharedArrayBuffer): RingStats {
  const i32 = new Int32Array(buffer, 0, DATA_OFFSET / 4);
  return {
    producer: sumSide(buffer, PRODUCER_STATS_OFFSET),
    consumer: sumSide(buffer, CONSUMER_STATS_OFFSET),
    queuedBytes: (Atomics.load(i32, WRITE) - Atomics.load(i32, READ)) | 0,
  };
}
