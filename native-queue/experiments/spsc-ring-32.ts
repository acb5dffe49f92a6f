/**
 * A deliberately minimal single-producer single-consumer ring with 32-bit
 * cursors, for the cursor experiments only (padding: where the two cursors
 * sit; width: 32 against 64 bits, see spsc-ring-64.ts). It is not the
 * package's ring: fixed 8-byte slots, no blocking, no close, no statistics.
 * The less it does, the larger the share of its cost that is the cursor
 * words, which is what the experiments vary.
 *
 * ```
 *  byte offset     int32 index   word                 written by   read by
 *  0               0             WRITE (slots pushed)  producer     consumer
 *  strideBytes     stride/4      READ (slots popped)   consumer     producer
 *  SLOTS_OFFSET    1024 + 2i     slot i: value, ~value producer     consumer
 * ```
 *
 * `strideBytes` is the experiment's parameter: 4 puts both cursors in one
 * cache line (false sharing: every store by one side invalidates the line
 * the other side writes too), 64 in adjacent lines (apart, but in one
 * 128-byte pair that the adjacent-line prefetcher fetches together), 128 as
 * the package's layout.ts does.
 *
 * Cursors count slots modulo 2^32 and are compared through the signed
 * difference `(a - b) | 0`, as in the package (layout.ts); trials start them
 * just below 2^31, so every trial also crosses the sign flip.
 *
 * `cacheRemote`: each side keeps the last value it read of the other's
 * cursor and reloads it only when the ring looks full (producer) or empty
 * (consumer). Without it, every push loads READ and every pop loads WRITE:
 * the cursors are then truly shared on every operation, and false sharing is
 * a smaller part of the traffic.
 */

export const SLOTS_OFFSET = 4096;
/** Strides up to this keep both cursors below the slots. */
export const MAX_STRIDE_BYTES = 2048;
const WRITE = 0;
const SLOT0 = SLOTS_OFFSET / 4;
/** What tryPop returns when the ring is empty (pushed values are >= 0). */
export const EMPTY = -1;

export interface SpscOptions {
  readonly strideBytes: number;
  /** A power of two. */
  readonly slots: number;
  readonly cacheRemote: boolean;
  /** Where both cursors start (wrap-around tests; trials use 2^31 - 1000). */
  readonly initial: number;
}

export function createSpsc32(o: SpscOptions): SharedArrayBuffer {
  if (!Number.isInteger(o.strideBytes) || o.strideBytes < 4 || o.strideBytes > MAX_STRIDE_BYTES || o.strideBytes % 4 !== 0) {
    throw new RangeError(`strideBytes must be a multiple of 4 from 4 to ${MAX_STRIDE_BYTES}, got ${o.strideBytes}`);
  }
  if (!Number.isInteger(o.slots) || o.slots < 2 || (o.slots & (o.slots - 1)) !== 0) {
    throw new RangeError(`slots must be a power of two >= 2, got ${o.slots}`);
  }
  const buffer = new SharedArrayBuffer(SLOTS_OFFSET + o.slots * 8);
  const i32 = new Int32Array(buffer);
  i32[WRITE] = o.initial | 0;
  i32[o.strideBytes / 4] = o.initial | 0;
  return buffer;
}

export class Spsc32Producer {
  readonly #i32: Int32Array;
  readonly #readWord: number;
  readonly #slots: number;
  readonly #mask: number;
  readonly #cacheRemote: boolean;
  #write: number;
  #read: number;

  constructor(buffer: SharedArrayBuffer, o: SpscOptions) {
    this.#i32 = new Int32Array(buffer);
    this.#readWord = o.strideBytes / 4;
    this.#slots = o.slots;
    this.#mask = o.slots - 1;
    this.#cacheRemote = o.cacheRemote;
    this.#write = Atomics.load(this.#i32, WRITE);
    this.#read = Atomics.load(this.#i32, this.#readWord);
  }

  /** Pushes `value` (>= 0); false when the ring is full. */
  tryPush(value: number): boolean {
    const i32 = this.#i32;
    const w = this.#write;
    if (!this.#cacheRemote || ((w - this.#read) | 0) >= this.#slots) {
      this.#read = Atomics.load(i32, this.#readWord);
      if (((w - this.#read) | 0) >= this.#slots) return false;
    }
    const at = SLOT0 + ((w & this.#mask) << 1);
    // Plain stores: the Atomics.store of WRITE below publishes them.
    i32[at] = value;
    i32[at + 1] = ~value;
    this.#write = (w + 1) | 0;
    Atomics.store(i32, WRITE, this.#write);
    return true;
  }
}

export class Spsc32Consumer {
  readonly #i32: Int32Array;
  readonly #readWord: number;
  readonly #mask: number;
  readonly #cacheRemote: boolean;
  #read: number;
  #write: number;

  constructor(buffer: SharedArrayBuffer, o: SpscOptions) {
    this.#i32 = new Int32Array(buffer);
    this.#readWord = o.strideBytes / 4;
    this.#mask = o.slots - 1;
    this.#cacheRemote = o.cacheRemote;
    this.#read = Atomics.load(this.#i32, this.#readWord);
    this.#write = Atomics.load(this.#i32, WRITE);
  }

  /** The oldest value, or EMPTY. Throws on a torn slot (value and check word disagree). */
  tryPop(): number {
    const i32 = this.#i32;
    const r = this.#read;
    if (!this.#cacheRemote || this.#write === r) {
      this.#write = Atomics.load(i32, WRITE);
      if (this.#write === r) return EMPTY;
    }
    const at = SLOT0 + ((r & this.#mask) << 1);
    const value = i32[at]!;
    if (i32[at + 1] !== ~value) throw new Error(`torn slot at position ${r}: value ${value}, check word ${i32[at + 1]}`);
    this.#read = (r + 1) | 0;
    // After the reads: once the producer sees READ move, it may reuse the slot.
    Atomics.store(i32, this.#readWord, this.#read);
    return value;
  }
}
