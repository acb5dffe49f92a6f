import {
  CAPACITY, CLOSED, CONSUMER_STATS_OFFSET, DATA_OFFSET, DATA_SIGNAL, DATA_WAITERS,
  DEFAULT_MAX_PAYLOAD, HEADER_BYTES, KIND, LAYOUT_VERSION, MAGIC, MAGIC_VALUE, MAX_CAPACITY,
  MAX_PAYLOAD, MIN_CAPACITY, PENDING_AFTER_WAITERS, SIGNAL_AFTER_WAITERS, NEXT_CONSUMER_SLOT, NEXT_PRODUCER_SLOT, PRODUCER_STATS_OFFSET,
  READ, RECORD_ALIGN, RELEASE, SPACE_SIGNAL, SPACE_WAITERS, STAT_FIELDS, STAT_NOTIFIES, STAT_SLEEPS, STAT_SPURIOUS,
  STATS_SLOT_BYTES, STATS_SLOTS, VERSION, WRITE, bufferBytes, recordSize,
} from './layout.js';
import { copyBytes } from './copy-bytes.js';
import type { RecordVisitor } from './record-visitor.js';
import { type RingStats, readStats } from './stats.js';

const EMPTY = new Uint8Array(0);

export interface CreateOptions {
  /** Bytes in the record area; a power of two from 64 to 2^30. */
  readonly capacity: number;
  /**
   * Largest payload a record may carry. Default 64 KiB, capped at
   * capacity / 2 - 8: a record that large always fits once the ring drains,
   * wherever the cursors stand (see README, "Wrap-around").
   */
  readonly maxPayload?: number;
  /**
   * Test-only: the position both cursors start at. Tests start just below
   * 2^31 and 2^32 to prove the signed-difference arithmetic.
   */
  readonly initialPosition?: number;
}

export interface AttachOptions {
  /**
   * Stats slot of this handle's producer and consumer sides (0 .. 31). Give
   * each thread its own slot; by default a fresh one is taken from a shared
   * counter (slots are reused modulo 32, after which counts are approximate).
   */
  readonly producerSlot?: number;
  readonly consumerSlot?: number;
  /**
   * How many times a blocking wait re-checks the ring before it sleeps.
   * A short spin saves a futex round trip when data is only microseconds
   * away; it is bounded, so an idle thread still ends up asleep. Default 64.
   */
  readonly spin?: number;
}

export type WaitResult = 'ok' | 'timed-out' | 'closed';

/**
 * What both ring algorithms share: validation, views over the buffer, the
 * close flag, statistics slots, and the sleep/wake protocol.
 *
 * The sleep/wake protocol (no lost wake-ups). A thread about to sleep:
 *   1. samples the futex word:     seq = Atomics.load(SIGNAL)
 *   2. announces itself:           Atomics.add(WAITERS, 1)   (or sets a flag)
 *   3. re-checks the condition:    data present? -> do not sleep
 *   4. sleeps unless SIGNAL moved: Atomics.wait(SIGNAL, seq)
 * The other side, after making the condition true (publishing or releasing):
 *   a. reads WAITERS; if zero, stops: no syscall on the uncontended path
 *   b. otherwise bumps SIGNAL and calls Atomics.notify
 * All Atomics operations are sequentially consistent. If (a) does not see the
 * announcement of step 2, the publish came before step 2, so step 3 sees the
 * data. If it does, SIGNAL is bumped after step 2, hence after step 1, so the
 * wait of step 4 returns at once or is woken by the notify. Either way the
 * sleeper cannot miss the record. Sampling before announcing matters for the
 * flag variant (MpscRing): a waker that clears the flag is always followed by
 * a bump of SIGNAL that the sleeper has not sampled yet.
 */
export abstract class RingCore {
  readonly buffer: SharedArrayBuffer;
  /** The whole buffer as Int32 words: control block and record headers. */
  protected readonly i32: Int32Array;
  /** The record area as bytes; `data[index]` for index in 0..capacity-1. */
  readonly data: Uint8Array;
  readonly capacity: number;
  readonly maxPayload: number;
  protected readonly mask: number;
  /** Int32 index of the record area's first word in `i32`. */
  protected readonly dataWord: number;
  protected readonly spin: number;
  /** Float64 views of this handle's own stats slots. */
  protected readonly pstats: Float64Array;
  protected readonly cstats: Float64Array;

  protected static allocate(kind: number, options: CreateOptions): SharedArrayBuffer {
    const { capacity } = options;
    if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY
      || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(
        `capacity must be a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY}, got ${capacity}`);
    }
    const ceiling = capacity / 2 - HEADER_BYTES;
    const maxPayload = options.maxPayload ?? Math.min(DEFAULT_MAX_PAYLOAD, ceiling);
    if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > ceiling) {
      throw new RangeError(
        `maxPayload must be 0..${ceiling} for capacity=${capacity} (capacity / 2 - ${HEADER_BYTES}), got ${maxPayload}`);
    }
    const buffer = new SharedArrayBuffer(bufferBytes(capacity));
    const i32 = new Int32Array(buffer);
    const start = (options.initialPosition ?? 0) | 0;
    if ((start & (RECORD_ALIGN - 1)) !== 0) {
      throw new RangeError(`initialPosition must be a multiple of ${RECORD_ALIGN}, got ${options.initialPosition}`);
    }
    i32[WRITE] = start;
    i32[READ] = start;
    i32[RELEASE] = start;
    i32[VERSION] = LAYOUT_VERSION;
    i32[KIND] = kind;
    i32[CAPACITY] = capacity;
    i32[MAX_PAYLOAD] = maxPayload;
    // MAGIC last: a buffer is only attachable once fully initialised. (The
    // buffer is handed to other threads by postMessage, which already orders
    // these writes; the store is here for readers of this code.)
    Atomics.store(i32, MAGIC, MAGIC_VALUE);
    return buffer;
  }

  protected constructor(buffer: SharedArrayBuffer, kind: number, options: AttachOptions = {}) {
    if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError('a ring lives in a SharedArrayBuffer');
    const i32 = new Int32Array(buffer, 0, DATA_OFFSET / 4);
    if (Atomics.load(i32, MAGIC) !== MAGIC_VALUE || i32[VERSION] !== LAYOUT_VERSION) {
      throw new TypeError('buffer is not a native-queue ring (bad magic or layout version)');
    }
    if (i32[KIND] !== kind) {
      throw new TypeError(`buffer holds a ring of kind ${i32[KIND]}, not ${kind} (SPMC=1, MPSC=2)`);
    }
    this.buffer = buffer;
    this.capacity = i32[CAPACITY] ?? 0;
    this.maxPayload = i32[MAX_PAYLOAD] ?? 0;
    this.mask = this.capacity - 1;
    this.i32 = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_OFFSET, this.capacity);
    this.dataWord = DATA_OFFSET / 4;
    this.spin = options.spin ?? 64;
    const ps = options.producerSlot ?? Atomics.add(i32, NEXT_PRODUCER_SLOT, 1);
    const cs = options.consumerSlot ?? Atomics.add(i32, NEXT_CONSUMER_SLOT, 1);
    this.pstats = new Float64Array(buffer,
      PRODUCER_STATS_OFFSET + (ps % STATS_SLOTS) * STATS_SLOT_BYTES, STAT_FIELDS);
    this.cstats = new Float64Array(buffer,
      CONSUMER_STATS_OFFSET + (cs % STATS_SLOTS) * STATS_SLOT_BYTES, STAT_FIELDS);
  }

  /** Throws the error the contract promises for a payload that can never fit. */
  protected checkPayload(length: number): void {
    if (!(length >= 0 && length <= this.maxPayload)) {
      throw new RangeError(
        `record payload of ${length} bytes exceeds maxPayload=${this.maxPayload} (ring capacity=${this.capacity})`);
    }
  }

  /**
   * Bytes a record of `size` (header included) consumes when written at
   * `position`: itself, plus the padding that closes the end of the area
   * when it does not fit before the end.
   */
  protected spaceNeeded(position: number, size: number): number {
    const tail = this.capacity - (position & this.mask);
    return size <= tail ? size : tail + size;
  }

  /** Bytes one record of `payload` bytes takes in the ring, header included. */
  static recordBytes(payload: number): number {
    return recordSize(payload);
  }

  // ── close ──────────────────────────────────────────────────────────────────

  /**
   * Marks the ring closed and wakes every sleeper. Pushes that start after
   * close() are refused (they return false / -1); records whose push returned
   * true are still delivered, including an MPSC push that had claimed its
   * space before the close and commits after it: consumers report 'closed'
   * only when nothing is claimed, committed or queued any more.
   */
  close(): void {
    Atomics.store(this.i32, CLOSED, 1);
    Atomics.add(this.i32, DATA_SIGNAL, 1);
    Atomics.notify(this.i32, DATA_SIGNAL);
    Atomics.add(this.i32, SPACE_SIGNAL, 1);
    Atomics.notify(this.i32, SPACE_SIGNAL);
  }

  get closed(): boolean {
    return Atomics.load(this.i32, CLOSED) !== 0;
  }

  // ── observation ────────────────────────────────────────────────────────────

  /** Bytes between the read and the write cursor (records not yet taken). */
  get queuedBytes(): number {
    return (Atomics.load(this.i32, WRITE) - Atomics.load(this.i32, READ)) | 0;
  }

  /** Sums of every thread's counters. Cheap; safe from any thread. */
  stats(): RingStats {
    return readStats(this.buffer);
  }

  /**
   * Hands up to `max` records to `visit`, zero-copy (see the subclasses for
   * batch semantics). Returns how many records were taken.
   */
  abstract drain(visit: RecordVisitor, max?: number): number;

  /**
   * Takes one record and copies its payload into `dest`; returns the payload
   * length, or -1 when there is none. `dest` must hold maxPayload bytes
   * (checked), so a record can never be taken and then not fit.
   */
  tryPopInto(dest: Uint8Array): number {
    if (dest.length < this.maxPayload) {
      throw new RangeError(`tryPopInto: destination of ${dest.length} bytes is smaller than maxPayload=${this.maxPayload}`);
    }
    this.#popDest = dest;
    this.#popLength = -1;
    this.drain(this.#copyOut, 1);
    this.#popDest = EMPTY;
    return this.#popLength;
  }

  #popDest: Uint8Array = EMPTY;
  #popLength = -1;
  /** Bound once: tryPopInto allocates no closure per record. */
  readonly #copyOut: RecordVisitor = (data, index, length) => {
    copyBytes(data, index, this.#popDest, 0, length);
    this.#popLength = length;
  };

  /** True when a consumer would find a record right now. */
  abstract hasData(): boolean;
  /**
   * Nothing is left for consumers, not even a record claimed but not yet
   * committed: after close(), consumers report 'closed' only then.
   */
  abstract isDrained(): boolean;
  /** True when a producer could push `payload` bytes right now. */
  abstract hasSpaceFor(payload: number): boolean;

  // ── blocking: worker threads only (on the main thread Atomics.wait would freeze the event loop; browsers forbid it there) ──

  /**
   * Blocks until a record is available ('ok'), the ring is closed and empty
   * ('closed'), or `timeoutMs` passes ('timed-out'). Spins `spin` re-checks
   * first, then sleeps in Atomics.wait: an idle consumer costs no CPU.
   */
  waitForData(timeoutMs = Infinity): WaitResult {
    return this.#wait(DATA_WAITERS, DATA_SIGNAL, this.cstats, -1, timeoutMs);
  }

  /** Blocks until `payload` bytes can be pushed, the ring closes, or the timeout. */
  waitForSpace(payload: number, timeoutMs = Infinity): WaitResult {
    this.checkPayload(payload);
    return this.#wait(SPACE_WAITERS, SPACE_SIGNAL, this.pstats, payload, timeoutMs);
  }

  #ready(payload: number): boolean {
    return payload < 0 ? this.hasData() : this.hasSpaceFor(payload);
  }

  #wait(waiters: number, signal: number, stats: Float64Array, payload: number, timeoutMs: number): WaitResult {
    for (let i = 0; i < this.spin; i++) {
      if (this.#ready(payload)) return 'ok';
    }
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      // Sample SIGNAL *before* announcing. A waker that saw an earlier
      // announcement may clear the MPSC flag only after we announce again; it
      // still bumps SIGNAL afterwards, so our wait then returns at once. With
      // the sample taken after the announcement, that stale waker would use
      // up our flag, the next producer would see no sleeper, and we would
      // sleep with data present (found by the server's integration tests).
      const seq = Atomics.load(this.i32, signal);
      this.announceSleeper(waiters);
      let woke: 'ok' | 'not-equal' | 'timed-out';
      try {
        if (this.#ready(payload)) return 'ok';
        // Closed: producers get 'closed' at once; a consumer only once every
        // claim made before the close is committed and taken.
        if (this.closed && (payload >= 0 || this.isDrained())) return 'closed';
        const left = deadline - performance.now();
        if (left <= 0) return 'timed-out';
        stats[STAT_SLEEPS]! += 1;
        woke = Atomics.wait(this.i32, signal, seq, left === Infinity ? undefined : left);
      } finally {
        this.retireSleeper(waiters);
      }
      if (this.#ready(payload)) return 'ok';
      if (woke === 'ok' && !this.closed) stats[STAT_SPURIOUS]! += 1;
    }
  }

  // ── non-blocking wait: the main thread ────────────────────────────────────

  /**
   * Resolves when a record is available ('ok') or the ring is closed and
   * drained ('closed'), without ever blocking the calling thread: it arms one
   * Atomics.waitAsync. Call it again after each drain.
   *
   * A pending waitAsync does not keep Node's event loop alive: if nothing else
   * (a socket, a timer) holds the process open, Node may exit while waiting.
   */
  async whenData(): Promise<'ok' | 'closed'> {
    for (;;) {
      if (this.hasData()) return 'ok';
      if (this.closed && this.isDrained()) return this.hasData() ? 'ok' : 'closed';
      const seq = Atomics.load(this.i32, DATA_SIGNAL); // before announcing: see #wait
      this.announceSleeper(DATA_WAITERS);
      try {
        if (this.hasData() || (this.closed && this.isDrained())) continue;
        const armed = Atomics.waitAsync(this.i32, DATA_SIGNAL, seq);
        if (!armed.async) continue; // the signal moved already
        this.cstats[STAT_SLEEPS]! += 1;
        await armed.value;
        if (!this.hasData() && !this.closed) this.cstats[STAT_SPURIOUS]! += 1;
      } finally {
        this.retireSleeper(DATA_WAITERS);
      }
    }
  }

  /** Resolves when `payload` bytes fit or the ring is closed; never blocks. */
  async whenSpace(payload: number): Promise<'ok' | 'closed'> {
    this.checkPayload(payload);
    for (;;) {
      if (this.hasSpaceFor(payload)) return 'ok';
      if (this.closed) return 'closed';
      const seq = Atomics.load(this.i32, SPACE_SIGNAL); // before announcing: see #wait
      this.announceSleeper(SPACE_WAITERS);
      try {
        if (this.hasSpaceFor(payload) || this.closed) continue;
        const armed = Atomics.waitAsync(this.i32, SPACE_SIGNAL, seq);
        if (!armed.async) continue;
        this.pstats[STAT_SLEEPS]! += 1;
        await armed.value;
      } finally {
        this.retireSleeper(SPACE_WAITERS);
      }
    }
  }

  // ── the waking side ───────────────────────────────────────────────────────

  /**
   * Step 2 of the protocol. Waiter words are counts (several threads may
   * sleep). Announcing also clears the wake-pending word: a wake that is
   * "pending" must always be for a sleeper that has yet to re-check, and a
   * fresh sleeper guarantees that by resetting it (see wake()).
   */
  protected announceSleeper(waiters: number): void {
    Atomics.add(this.i32, waiters, 1);
    Atomics.store(this.i32, waiters + PENDING_AFTER_WAITERS, 0);
  }

  protected retireSleeper(waiters: number): void {
    Atomics.store(this.i32, waiters + PENDING_AFTER_WAITERS, 0);
    Atomics.sub(this.i32, waiters, 1);
  }

  /**
   * Steps a-b, with one refinement: WAKE_PENDING. Without it, every publish
   * made while a sleeper is still waking up (tens of microseconds) would call
   * Atomics.notify again; the benchmark counted a hundred notifies per sleep.
   * The first waker sets WAKE_PENDING with a CAS and notifies; later wakers
   * see it set and skip, until a sleeper announces or retires and clears it.
   * No wake-up is lost: a waker that skips saw a flag set after the last
   * sleeper's announcement, by a waker whose bump of SIGNAL therefore comes
   * after that sleeper's sample, so that sleeper cannot stay asleep; once up,
   * it re-checks and finds the data (and the SPMC consumer wakes a peer when
   * it leaves more behind: wake chaining).
   */
  protected wake(waiters: number, count: number, stats: Float64Array): void {
    if (Atomics.load(this.i32, waiters) === 0) return;
    if (Atomics.compareExchange(this.i32, waiters + PENDING_AFTER_WAITERS, 0, 1) !== 0) return;
    Atomics.add(this.i32, waiters + SIGNAL_AFTER_WAITERS, 1);
    Atomics.notify(this.i32, waiters + SIGNAL_AFTER_WAITERS, count);
    stats[STAT_NOTIFIES]! += 1;
  }

  /** After a publish: `count` is how many sleepers the new data can keep busy. */
  protected wakeConsumers(count: number, stats: Float64Array): void {
    this.wake(DATA_WAITERS, count, stats);
  }

  /** After space was freed: wake the sleeping producers, they re-check. */
  protected wakeProducers(stats: Float64Array): void {
    this.wake(SPACE_WAITERS, Infinity, stats);
  }
}
