import {
  CLOSED, HEADER_BYTES, KIND_SPMC, PADDING_LENGTH, READ, RELEASE, STAT_BYTES, STAT_CAS_RETRIES, STAT_EMPTY,
  STAT_FULL, STAT_RECORDS, WRITE, recordSize,
} from './layout.js';
import { type AttachOptions, type CreateOptions, RingCore } from './ring-core.js';
import type { RecordVisitor } from './record-visitor.js';
import { copyBytes } from './copy-bytes.js';

const NO_CLAIM = -1;

/**
 * Single producer, many consumers: the job ring. The main thread produces,
 * every worker consumes.
 *
 * Algorithm (cursors are byte positions, see layout.ts):
 *
 *   producer   writes header + payload at WRITE with plain stores, then
 *              publishes with Atomics.store(WRITE). Being alone, it needs no
 *              CAS: it is wait-free.
 *   consumer   reads the headers between READ and WRITE, takes one record (or
 *              a batch) with one compareExchange on READ, reads the payloads,
 *              then marks the batch consumed by storing -(batch bytes) in its
 *              first header.
 *   reclaim    consumers finish out of order, so READ cannot double as "free
 *              space starts here". The producer keeps a third cursor, RELEASE,
 *              and moves it over consumed headers (SIZE < 0) when it needs
 *              room. Only the producer writes RELEASE and only the producer
 *              overwrites the area, so reclaiming needs no CAS either.
 *
 * Progress: the producer is wait-free; consumers are lock-free (a failed CAS
 * means another consumer took a record); a consumer stalled between its CAS
 * and its consumed-mark holds back reclaiming (not other consumers), so free
 * space is blocking with respect to a stalled consumer.
 */
export class SpmcRing extends RingCore {
  /** Producer-private copies of WRITE and RELEASE (it is their only writer). */
  #write: number;
  #release: number;
  #published: number;
  #unpublished = 0;
  #claimAt = NO_CLAIM;
  #claimPayload = 0;

  /** Creates a ring in a new SharedArrayBuffer; this handle may produce. */
  static create(options: CreateOptions, attach: AttachOptions = {}): SpmcRing {
    return new SpmcRing(RingCore.allocate(KIND_SPMC, options), attach);
  }

  /** Attaches to a ring created elsewhere (e.g. received through workerData). */
  static attach(buffer: SharedArrayBuffer, options: AttachOptions = {}): SpmcRing {
    return new SpmcRing(buffer, options);
  }

  private constructor(buffer: SharedArrayBuffer, options: AttachOptions) {
    super(buffer, KIND_SPMC, options);
    this.#write = Atomics.load(this.i32, WRITE);
    this.#published = this.#write;
    this.#release = Atomics.load(this.i32, RELEASE);
  }

  // ── producer (one thread only) ─────────────────────────────────────────────

  /**
   * Reserves room for a payload of up to `payload` bytes and returns the index
   * in `this.data` where the payload goes, or -1 when the ring is full or
   * closed. Write the payload in place, then call commit(). Throws a
   * RangeError naming both sizes when `payload` exceeds maxPayload.
   */
  tryClaim(payload: number): number {
    this.checkPayload(payload);
    if (this.#claimAt !== NO_CLAIM) throw new Error('tryClaim: the previous claim was not committed');
    // A plain read, not Atomics.load: every Atomics call is a builtin call in
    // V8 11 (12-18 ns, see the README's "Costs"), and this one is on every
    // record. It is enough: a close() that happens-before this push (the
    // only sense of "after" the contract can mean) is visible to a plain read
    // of an aligned Int32 word, which the memory model guarantees tear-free.
    if (this.i32[CLOSED] !== 0) return -1;
    const size = recordSize(payload);
    let w = this.#write;
    let index = w & this.mask;
    const tail = this.capacity - index;
    const need = this.spaceNeeded(w, size);
    if (this.capacity - ((w - this.#release) | 0) < need) {
      this.#reclaim();
      if (this.capacity - ((w - this.#release) | 0) < need) {
        this.pstats[STAT_FULL]! += 1;
        return -1;
      }
    }
    if (size > tail) {
      // The record does not fit before the end of the area: close the end with
      // a padding record and start at index 0. The padding is taken and
      // consumed-marked by a consumer like any record. (It must not be born
      // "consumed": the consumer that takes it still reads its header, and
      // the producer would be free to overwrite it first. The stress test
      // caught exactly that.) Plain writes: WRITE's store publishes them.
      const word = this.dataWord + (index >> 2);
      this.i32[word + 1] = PADDING_LENGTH;
      this.i32[word] = tail;
      w = (w + tail) | 0;
      this.#write = w;
      index = 0;
    }
    this.#claimAt = w;
    this.#claimPayload = payload;
    return index + HEADER_BYTES;
  }

  /**
   * Commits the claimed record with its real payload length (at most what was
   * claimed; the unused tail is returned to the ring). With `publish` false the
   * record stays invisible until publish(): a batch then costs one store and
   * one wake-up check instead of one per record.
   */
  commit(length: number, publish = true): void {
    const at = this.#claimAt;
    if (at === NO_CLAIM) throw new Error('commit without a claim');
    if (!(length >= 0 && length <= this.#claimPayload)) {
      throw new RangeError(`commit length ${length} outside the claimed 0..${this.#claimPayload} bytes`);
    }
    const size = recordSize(length);
    const word = this.dataWord + ((at & this.mask) >> 2);
    this.i32[word + 1] = length;
    this.i32[word] = size;
    this.#claimAt = NO_CLAIM;
    this.#write = (at + size) | 0;
    this.#unpublished += 1;
    this.pstats[STAT_RECORDS]! += 1;
    this.pstats[STAT_BYTES]! += length;
    if (publish) this.publish();
  }

  /** Makes every committed record visible to consumers and wakes sleepers. */
  publish(): void {
    if (this.#write === this.#published) return;
    this.#published = this.#write;
    // Publish last: consumers treat everything below WRITE as written. The
    // SC store orders all the plain header and payload writes before it.
    Atomics.store(this.i32, WRITE, this.#write);
    const records = this.#unpublished;
    this.#unpublished = 0;
    this.wakeConsumers(records, this.pstats);
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

  /** Moves RELEASE over every consumed record that READ has passed. */
  #reclaim(): void {
    const read = Atomics.load(this.i32, READ);
    let release = this.#release;
    while (((read - release) | 0) > 0) {
      // Atomics.load pairs with the consumer's Atomics.store of -SIZE: once we
      // see it, the consumer's reads of the payload happened before, and we
      // may overwrite the bytes.
      const size = Atomics.load(this.i32, this.dataWord + ((release & this.mask) >> 2));
      if (size >= 0) break; // taken, still being read
      release = (release - size) | 0;
    }
    if (release !== this.#release) {
      this.#release = release;
      Atomics.store(this.i32, RELEASE, release);
    }
  }

  hasSpaceFor(payload: number): boolean {
    const size = recordSize(payload);
    const need = this.spaceNeeded(this.#write, size);
    if (this.capacity - ((this.#write - this.#release) | 0) >= need) return true;
    this.#reclaim();
    return this.capacity - ((this.#write - this.#release) | 0) >= need;
  }

  // ── consumers (any number of threads) ─────────────────────────────────────

  hasData(): boolean {
    return ((Atomics.load(this.i32, WRITE) - Atomics.load(this.i32, READ)) | 0) > 0;
  }

  /** The one producer publishes whole records: drained is simply empty. */
  isDrained(): boolean {
    return !this.hasData();
  }

  /**
   * Takes up to `max` records with a single CAS and passes each to `visit`
   * (zero-copy: the bytes are `data[index, index + length)`, valid only
   * during the call). Returns how many records were taken; 0 when empty.
   * Every taken record is visited exactly once: if a visit throws, the rest
   * of the batch is still visited and the first error is rethrown after.
   * Use max = 1 in worker pools, so a slow job does not hold queued ones.
   */
  drain(visit: RecordVisitor, max = 1): number {
    // With max < 1 the walk below takes nothing, and on a non-empty ring the
    // "stale header" retry would then spin forever.
    if (!(max >= 1)) return 0;
    const i32 = this.i32;
    const mask = this.mask;
    for (;;) {
      const read = Atomics.load(i32, READ);
      const write = Atomics.load(i32, WRITE);
      let end = read;
      let records = 0;
      // Walk the published headers. They may be stale if another consumer
      // takes them meanwhile; then the CAS below fails and we start over.
      while (records < max && ((write - end) | 0) > 0) {
        const word = this.dataWord + ((end & mask) >> 2);
        const size = i32[word]!;
        const step = size < 0 ? -size : size;
        if (step < HEADER_BYTES || step > this.capacity) break; // stale: retry
        if (i32[word + 1] !== PADDING_LENGTH) records += 1;
        end = (end + step) | 0;
      }
      if (end === read) {
        if (((write - read) | 0) > 0) continue; // saw a stale header
        this.cstats[STAT_EMPTY]! += 1;
        return 0;
      }
      if (Atomics.compareExchange(i32, READ, read, end) !== read) {
        this.cstats[STAT_CAS_RETRIES]! += 1;
        continue;
      }
      // [read, end) is ours: no other consumer will touch it and the producer
      // will not reuse it before we store the consumed marks.
      // A batch that held only padding (cannot happen with the producer above,
      // which publishes padding together with the record after it) is retried.
      if (this.#deliver(read, end, visit) === 0) continue;
      // Wake chaining: a woken consumer that leaves records behind wakes a
      // peer, since wakers skip notifying while a wake-up is pending.
      if (((Atomics.load(i32, WRITE) - end) | 0) > 0) this.wakeConsumers(1, this.cstats);
      return records;
    }
  }

  #deliver(from: number, to: number, visit: RecordVisitor): number {
    let records = 0;
    const i32 = this.i32;
    let error: unknown = null;
    let failed = false;
    for (let at = from; at !== to;) {
      const word = this.dataWord + ((at & this.mask) >> 2);
      const size = i32[word]!;
      const length = i32[word + 1]!;
      if (length !== PADDING_LENGTH) {
        records += 1;
        this.cstats[STAT_RECORDS]! += 1;
        this.cstats[STAT_BYTES]! += length;
        try {
          visit(this.data, (at & this.mask) + HEADER_BYTES, length);
        } catch (e) {
          if (!failed) { failed = true; error = e; }
        }
      }
      at = (at + size) | 0;
    }
    // One consumed-mark for the whole batch, stored last: after it the
    // producer may overwrite every byte of [from, to). It goes in the batch's
    // first header as -(batch bytes); reclaim steps over -SIZE bytes, so it
    // skips the batch in one step and never reads the headers inside, which
    // keep their positive sizes (no consumer reads them again either: READ is
    // past them). One SC store per batch instead of one per record: about a
    // tenth of a 64-byte record's consumer cost (see the README, "Costs").
    Atomics.store(i32, this.dataWord + ((from & this.mask) >> 2), -((to - from) | 0));
    this.wakeProducers(this.cstats);
    if (failed) throw error;
    return records;
  }
}

