/**
 * Counters the worker threads and the writer thread keep for /metrics, in one
 * SharedArrayBuffer. Each thread writes only its own block with plain stores
 * (one writer per word: no atomics, no locks, nothing per request but an
 * add); the main thread reads every block when /metrics is scraped.
 *
 * ```
 *  Float64 index               block (32 Float64 = 256 bytes = two cache lines)
 *  w*32 ..  w*32+31            worker w (0 .. workers-1), written by worker w
 *  workers*32 .. +31           the writer thread
 *
 *  worker block                              writer block
 *  +0   JOBS           jobs answered         +0   RECORDS        log records written
 *  +1   ERRORS         of them, ERR answers  +1   BYTES          log bytes written
 *  +2   BUSY_SECONDS   time running jobs     +2   BATCHES        write() calls
 *  +3   QUEUE_WAIT     histogram: seconds    +3   BATCH_SIZE     histogram: records per batch
 *       (15 buckets + sum, to +18)                (12 buckets + sum, to +15)
 *                                            +16  FSYNC          histogram: fdatasync seconds
 *                                                 (12 buckets + sum, to +28)
 * ```
 *
 * Blocks are 256 bytes apart so two threads never write the same cache line.
 * A reader may see a block mid-update (a bucket bumped, its sum not yet):
 * a scrape is a sample, not a transaction. Float64 words: the memory model
 * allows a racing non-atomic Float64 read to tear, but V8 on x86-64 and arm64
 * compiles aligned Float64 accesses to single 8-byte moves, which the
 * hardware does not tear (the rings' stats slots rely on the same fact).
 */
import { type BucketSpec, bucketSlots } from './shared-histogram.js';

export const BLOCK_FLOATS = 32;

export const W_JOBS = 0;
export const W_ERRORS = 1;
export const W_BUSY_SECONDS = 2;
/** Job ring queue wait: enqueue on the main thread to pick-up by a worker. */
export const W_QUEUE_WAIT: BucketSpec = {
  offset: 3,
  bounds: [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 1],
};

export const WR_RECORDS = 0;
export const WR_BYTES = 1;
export const WR_BATCHES = 2;
export const WR_BATCH_SIZE: BucketSpec = { offset: 3, bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] };
export const WR_FSYNC: BucketSpec = {
  offset: 16,
  bounds: [100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3],
};

// The layout above must fit its block; checked once at load, loudly.
for (const [name, end] of [['worker', W_QUEUE_WAIT.offset + bucketSlots(W_QUEUE_WAIT)],
  ['writer', WR_FSYNC.offset + bucketSlots(WR_FSYNC)]] as const) {
  if (end > BLOCK_FLOATS) throw new Error(`thread-counters: the ${name} block needs ${end} words, has ${BLOCK_FLOATS}`);
}
if (WR_BATCH_SIZE.offset + bucketSlots(WR_BATCH_SIZE) > WR_FSYNC.offset) throw new Error('thread-counters: writer histograms overlap');

export function createThreadCounters(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer((workers + 1) * BLOCK_FLOATS * 8);
}

/** Worker `index`'s block (index = workers for the writer's). */
export function counterBlock(buffer: SharedArrayBuffer, index: number): Float64Array {
  return new Float64Array(buffer, index * BLOCK_FLOATS * 8, BLOCK_FLOATS);
}
