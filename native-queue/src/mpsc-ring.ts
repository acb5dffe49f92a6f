import { copyBytes } from './copy-bytes.js';
import {
  DATA_SIGNAL, DATA_WAITERS, HEADER_BYTES, KIND_MPSC, PADDING_LENGTH, READ, STAT_BYTES,
  STAT_CAS_RETRIES, STAT_EMPTY, STAT_FULL, STAT_NOTIFIES, STAT_RECORDS, WRITE, recordSize,
} from './layout.js';
import type { RecordVisitor } from './record-visitor.js';
import { type AttachOptions, type CreateOptions, RingCore } from './ring-core.js';

/**
 * Many producers, one consumer: the completion ring (workers → main thread)
 * and the log ring (workers → writer thread).
 *
 * Algorithm (cursors are byte positions, see layout.ts):
 *
 *   claim      a producer reserves [w, w + need) with compareExchange on
 *              WRITE. Several producers may hold claims at once and fill them
 *              in any order.
 *   commit     the producer writes LENGTH and the payload with plain stores,
 *              then publishes the record with Atomics.store(SIZE): a header
 *              whose SIZE is 0 is "claimed, not written yet".
 *   consume    the single consumer reads SIZE at READ with Atomics.load; 0
 *              means empty *or* not yet committed, so records come out in claim
 *              order, which is FIFO per producer.
 *   release    the consumer zeroes the bytes it consumed, then stores READ.
 *              The zeroing is what makes "SIZE = 0" mean "not committed": the
 *              free part of the area is always all zeros, so a stale payload
 *              byte can never be mistaken for a header.
 *
 * Progress: producers are lock-free (a failed CAS means another producer
 * claimed). The consumer is blocked by a producer that has claimed and not
 * yet committed: records behind it wait until it commits. A producer that
 * dies between claim and commit (only possible through Worker.terminate() or
 * a fatal error, since nothing in that window throws) would stall the ring
 * for good; see README, "Limits".
 */
export class MpscRing extends RingCore {
  /** Consumer-private copy of READ (the consumer is its only writer). */
  #read: number;
  /** Producer-private state of the claim in progress. */
  #claimWord = -1;
  #claimSize = 0;
  #claimPayload = 0;
  #claimEnd = 0;
  #lastCommitEnd = 0;

  static create(options: CreateOptions, attach: AttachOptions = {}): MpscRing {
    return new MpscRing(RingCore.allocate(KIND_MPSC, options), attach);
  }

  static attach(buffer: SharedArrayBuffer, options: AttachOptions = {}): MpscRing {
    return new MpscRing(buffer, options);
  }

  private constructor(buffer: SharedArrayBuffer, options: AttachOptions) {
    super(buffer, KIND_MPSC, options);
    this.#read = Atomics.load(this.i32, READ);
  }

  // ── producers (any number of threads) ─────────────────────────────────────

  /**
   * Reserves room for up to `payload` bytes; returns the index in `this.data`
   * where the payload goes, or -1 when full or closed. Then write in place
   * and commit(). A RangeError names both sizes when payload > maxPayload.
   */
  tryClaim(payload: number): number {
    this.checkPayload(payload);
    if (this.#claimWord !== -1) throw new Error('tryClaim: the previous claim was not committed');
    if (this.closed) return -1;
    const size = recordSize(payload);
    const i32 = this.i32;
    let w: number;
    let need: number;
    for (;;) {
      w = Atomics.load(i32, WRITE);
      const r = Atomics.load(i32, READ);
      need = this.spaceNeeded(w, size);
      if (this.capacity - ((w - r) | 0) < need) {
        this.pstats[STAT_FULL]! += 1;
        return -1;
      }
      if (Atomics.compareExchange(i32, WRITE, w, (w + need) | 0) === w) {
        this.#claimEnd = (w + need) | 0;
        break;
      }
      this.pstats[STAT_CAS_RETRIES]! += 1;
    }
    let word = this.dataWord + ((w & this.mask) >> 2);
    if (this.closed) {
      // close() raced with our claim. The consumer may already have decided
      // the ring is drained, or may be waiting for this claim: either way it
      // must be able to step over it, so commit it as padding and refuse.
      i32[word + 1] = PADDING_LENGTH;
      Atomics.store(i32, word, need);
      // A consumer that saw the ring closed but not drained (our claim) may
      // be asleep: wake it, or it never sees the padding and never returns
      // 'closed' (found by the SPIN model, model/README.md).
      this.wakeConsumers(1, this.pstats);
      return -1;
    }
    if (need !== size) {
      // Wrapping: a padding record closes the end of the area, ours starts at 0.
      i32[word + 1] = PADDING_LENGTH;
      Atomics.store(i32, word, need - size); // the tail of the area
      word = this.dataWord;
    }
    this.#claimWord = word;
    this.#claimSize = size;
    this.#claimPayload = payload;
    return ((word - this.dataWord) << 2) + HEADER_BYTES;
  }

  /** Publishes the claimed record with `length` payload bytes (<= claimed). */
  commit(length: number): void {
    const word = this.#claimWord;
    if (word === -1) throw new Error('commit without a claim');
    if (!(length >= 0 && length <= this.#claimPayload)) {
      throw new RangeError(`commit length ${length} outside the claimed 0..${this.#claimPayload} bytes`);
    }
    this.i32[word + 1] = length;
    // SIZE last: a consumer treats SIZE = 0 as "not written yet". The claimed
    // size is kept even if length shrank: the region was reserved whole.
    Atomics.store(this.i32, word, this.#claimSize);
    this.#claimWord = -1;
    this.#lastCommitEnd = this.#claimEnd;
    this.pstats[STAT_RECORDS]! += 1;
    this.pstats[STAT_BYTES]! += length;
    this.wakeConsumers(1, this.pstats);
  }

  /**
   * Producer: the ring position just past the record this handle committed
   * last. Once the consumer's readPosition has reached it (compare with
   * `(read - end) | 0 >= 0`), the consumer has taken that record. The server
   * uses it as a ticket: "my log record is written when the writer's read
   * position passes this".
   */
  get lastCommitEnd(): number {
    return this.#lastCommitEnd;
  }

  /** Consumer: the position up to which records have been taken and freed. */
  get readPosition(): number {
    return this.#read;
  }

  /** Copies `src[start, end)` in as one record. False when full or closed. */
  tryPush(src: Uint8Array, start = 0, end = src.length): boolean {
    const length = end - start;
    const at = this.tryClaim(length);
    if (at < 0) return false;
    copyBytes(src, start, this.data, at, length);
    this.commit(length);
    return true;
  }

  hasSpaceFor(payload: number): boolean {
    const size = recordSize(payload);
    const w = Atomics.load(this.i32, WRITE);
    const r = Atomics.load(this.i32, READ);
    const need = this.spaceNeeded(w, size);
    return this.capacity - ((w - r) | 0) >= need;
  }

  // ── the consumer (one thread only) ────────────────────────────────────────

  /** No claim is outstanding: WRITE (claims) has been consumed up to. */
  isDrained(): boolean {
    return Atomics.load(this.i32, WRITE) === Atomics.load(this.i32, READ);
  }

  /** A committed record (or padding) is at READ. */
  hasData(): boolean {
    const r = Atomics.load(this.i32, READ);
    return Atomics.load(this.i32, this.dataWord + ((r & this.mask) >> 2)) !== 0;
  }

  /**
   * Hands up to `max` committed records to `visit`, zero-copy, in claim order,
   * then frees them all at once (one zero-fill, one store of READ, one
   * wake-up check per batch). Returns the number of records. A record whose
   * visit throws counts as delivered; the error propagates after the records
   * visited so far are freed, and the rest stay in the ring.
   */
  drain(visit: RecordVisitor, max = Infinity): number {
    const i32 = this.i32;
    const start = this.#read;
    let at = start;
    let records = 0;
    try {
      // Stop after one capacity of bytes: until this batch is released, READ
      // stays at `start`, so producers cannot have written past
      // start + capacity, and the header found there is the first one this
      // very batch consumed (not zeroed yet). Reading on would deliver it twice.
      while (records < max && ((at - start) | 0) < this.capacity) {
        const index = at & this.mask;
        const word = this.dataWord + (index >> 2);
        const size = Atomics.load(i32, word);
        if (size === 0) break; // empty, or the next producer has not committed
        const length = i32[word + 1]!;
        at = (at + size) | 0;
        if (length === PADDING_LENGTH) continue;
        records += 1;
        this.cstats[STAT_RECORDS]! += 1;
        this.cstats[STAT_BYTES]! += length;
        visit(this.data, index + HEADER_BYTES, length);
      }
    } finally {
      if (at !== start) this.#release(start, at);
    }
    if (records === 0) this.cstats[STAT_EMPTY]! += 1;
    return records;
  }

  #release(from: number, to: number): void {
    // Zero first, publish READ second: producers may write here once they see
    // the new READ, and they rely on finding zeros (SIZE = 0) at every header.
    // Int32Array.fill: about 4x faster than Uint8Array.fill on shared memory
    // (measured by the queue benchmark); records are 8-aligned, so whole words.
    const a = (from & this.mask) >> 2;
    const words = ((to - from) | 0) >> 2;
    const end = this.capacity >> 2;
    const base = this.dataWord;
    if (a + words <= end) {
      this.i32.fill(0, base + a, base + a + words);
    } else {
      this.i32.fill(0, base + a, base + end);
      this.i32.fill(0, base, base + a + words - end);
    }
    this.#read = to;
    Atomics.store(this.i32, READ, to);
    this.wakeProducers(this.cstats);
  }


  // ── single consumer: a sleep flag instead of a waiter count ──────────────

  /**
   * With one consumer, DATA_WAITERS is a flag. The producer that clears it
   * with a CAS is the only one that notifies: one futex call per sleep, not
   * one per record committed while the consumer is waking up.
   */
  protected override announceSleeper(waiters: number): void {
    if (waiters === DATA_WAITERS) Atomics.store(this.i32, waiters, 1);
    else super.announceSleeper(waiters);
  }

  protected override retireSleeper(waiters: number): void {
    if (waiters === DATA_WAITERS) Atomics.store(this.i32, waiters, 0);
    else super.retireSleeper(waiters);
  }

  protected override wakeConsumers(_count: number, stats: Float64Array): void {
    if (Atomics.load(this.i32, DATA_WAITERS) === 0) return;
    if (Atomics.compareExchange(this.i32, DATA_WAITERS, 1, 0) !== 1) return;
    Atomics.add(this.i32, DATA_SIGNAL, 1);
    Atomics.notify(this.i32, DATA_SIGNAL, 1);
    stats[STAT_NOTIFIES]! += 1;
  }
}

