/**
 * spsc-ring-32.ts with 64-bit cursors: WRITE and READ are BigInt64Array
 * words (Atomics on 64-bit integers take and return BigInt in JavaScript),
 * 128 bytes apart; the slots are the same Int32 words. For the cursor-width
 * experiment.
 *
 * ```
 *  byte offset     word                       written by   read by
 *  0               WRITE (int64, slots pushed) producer     consumer
 *  128             READ  (int64, slots popped) consumer     producer
 *  SLOTS_OFFSET    slot i: value, ~value       producer     consumer
 * ```
 *
 * Two ways to hold a 64-bit position in a thread, each a class pair:
 * - `bigint`: positions are BigInt end to end (`w + 1n`, `Number(w & mask)`),
 *   as a port of C code with uint64_t cursors would write them;
 * - `number`: positions are doubles, exact up to 2^53 (285 years at a
 *   billion slots a second), converted with BigInt()/Number() only at the
 *   Atomics calls.
 * A 64-bit cursor never wraps in practice, so comparisons are plain `<` and
 * `===`: the signed-difference discipline of the 32-bit ring is what the
 * extra width buys away.
 */
import { EMPTY, SLOTS_OFFSET } from './spsc-ring-32.js';

export type Position64 = 'bigint' | 'number';

export interface Spsc64Options {
  /** A power of two. */
  readonly slots: number;
  readonly cacheRemote: boolean;
  /** Where both cursors start; trials use 2^32 - 1000, past any 32-bit wrap. */
  readonly initial: number;
}

const WRITE = 0;
/** BigInt64 index of READ: 128 bytes after WRITE. */
const READ = 16;
const SLOT0 = SLOTS_OFFSET / 4;

export function createSpsc64(o: Spsc64Options): SharedArrayBuffer {
  if (!Number.isInteger(o.slots) || o.slots < 2 || (o.slots & (o.slots - 1)) !== 0) {
    throw new RangeError(`slots must be a power of two >= 2, got ${o.slots}`);
  }
  const buffer = new SharedArrayBuffer(SLOTS_OFFSET + o.slots * 8);
  const b64 = new BigInt64Array(buffer, 0, SLOTS_OFFSET / 8);
  b64[WRITE] = BigInt(o.initial);
  b64[READ] = BigInt(o.initial);
  return buffer;
}

export interface Spsc64Producer {
  tryPush(value: number): boolean;
}

export interface Spsc64Consumer {
  tryPop(): number;
}

class BigIntProducer implements Spsc64Producer {
  readonly #b64: BigInt64Array;
  readonly #i32: Int32Array;
  readonly #slots: bigint;
  readonly #mask: bigint;
  readonly #cacheRemote: boolean;
  #write: bigint;
  #read: bigint;

  constructor(buffer: SharedArrayBuffer, o: Spsc64Options) {
    this.#b64 = new BigInt64Array(buffer, 0, SLOTS_OFFSET / 8);
    this.#i32 = new Int32Array(buffer);
    this.#slots = BigInt(o.slots);
    this.#mask = BigInt(o.slots - 1);
    this.#cacheRemote = o.cacheRemote;
    this.#write = Atomics.load(this.#b64, WRITE);
    this.#read = Atomics.load(this.#b64, READ);
  }

  tryPush(value: number): boolean {
    const w = this.#write;
    if (!this.#cacheRemote || w - this.#read >= this.#slots) {
      this.#read = Atomics.load(this.#b64, READ);
      if (w - this.#read >= this.#slots) return false;
    }
    const at = SLOT0 + (Number(w & this.#mask) << 1);
    this.#i32[at] = value;
    this.#i32[at + 1] = ~value;
    this.#write = w + 1n;
    Atomics.store(this.#b64, WRITE, this.#write);
    return true;
  }
}

class BigIntConsumer implements Spsc64Consumer {
  readonly #b64: BigInt64Array;
  readonly #i32: Int32Array;
  readonly #mask: bigint;
  readonly #cacheRemote: boolean;
  #read: bigint;
  #write: bigint;

  constructor(buffer: SharedArrayBuffer, o: Spsc64Options) {
    this.#b64 = new BigInt64Array(buffer, 0, SLOTS_OFFSET / 8);
    this.#i32 = new Int32Array(buffer);
    this.#mask = BigInt(o.slots - 1);
    this.#cacheRemote = o.cacheRemote;
    this.#read = Atomics.load(this.#b64, READ);
    this.#write = Atomics.load(this.#b64, WRITE);
  }

  tryPop(): number {
    const r = this.#read;
    if (!this.#cacheRemote || this.#write === r) {
      this.#write = Atomics.load(this.#b64, WRITE);
      if (this.#write === r) return EMPTY;
    }
    const at = SLOT0 + (Number(r & this.#mask) << 1);
    const value = this.#i32[at]!;
    if (this.#i32[at + 1] !== ~value) throw new Error(`torn slot at position ${r}: value ${value}, check word ${this.#i32[at + 1]}`);
    this.#read = r + 1n;
    Atomics.store(this.#b64, READ, this.#read);
    return value;
  }
}

class NumberProducer implements Spsc64Producer {
  readonly #b64: BigInt64Array;
  readonly #i32: Int32Array;
  readonly #slots: number;
  readonly #mask: number;
  readonly #cacheRemote: boolean;
  #write: number;
  #read: number;

  constructor(buffer: SharedArrayBuffer, o: Spsc64Options) {
    this.#b64 = new BigInt64Array(buffer, 0, SLOTS_OFFSET / 8);
    this.#i32 = new Int32Array(buffer);
    this.#slots = o.slots;
    this.#mask = o.slots - 1;
    this.#cacheRemote = o.cacheRemote;
    this.#write = Number(Atomics.load(this.#b64, WRITE));
    this.#read = Number(Atomics.load(this.#b64, READ));
  }

  tryPush(value: number): boolean {
    const w = this.#write;
    if (!this.#cacheRemote || w - this.#read >= this.#slots) {
      this.#read = Number(Atomics.load(this.#b64, READ));
      if (w - this.#read >= this.#slots) return false;
    }
    // `&` converts w to int32 first, keeping its low 32 bits: exact for any
    // integer below 2^53, and the mask needs only the low bits.
    const at = SLOT0 + ((w & this.#mask) << 1);
    this.#i32[at] = value;
    this.#i32[at + 1] = ~value;
    this.#write = w + 1;
    Atomics.store(this.#b64, WRITE, BigInt(this.#write));
    return true;
  }
}

class NumberConsumer implements Spsc64Consumer {
  readonly #b64: BigInt64Array;
  readonly #i32: Int32Array;
  readonly #mask: number;
  readonly #cacheRemote: boolean;
  #read: number;
  #write: number;

  constructor(buffer: SharedArrayBuffer, o: Spsc64Options) {
    this.#b64 = new BigInt64Array(buffer, 0, SLOTS_OFFSET / 8);
    this.#i32 = new Int32Array(buffer);
    this.#mask = o.slots - 1;
    this.#cacheRemote = o.cacheRemote;
    this.#read = Number(Atomics.load(this.#b64, READ));
    this.#write = Number(Atomics.load(this.#b64, WRITE));
  }

  tryPop(): number {
    const r = this.#read;
    if (!this.#cacheRemote || this.#write === r) {
      this.#write = Number(Atomics.load(this.#b64, WRITE));
      if (this.#write === r) return EMPTY;
    }
    const at = SLOT0 + ((r & this.#mask) << 1);
    const value = this.#i32[at]!;
    if (this.#i32[at + 1] !== ~value) throw new Error(`torn slot at position ${r}: value ${value}, check word ${this.#i32[at + 1]}`);
    this.#read = r + 1;
    Atomics.store(this.#b64, READ, BigInt(this.#read));
    return value;
  }
}

export function spsc64Producer(kind: Position64, buffer: SharedArrayBuffer, o: Spsc64Options): Spsc64Producer {
  return kind === 'bigint' ? new BigIntProducer(buffer, o) : new NumberProducer(buffer, o);
}

export function spsc64Consumer(kind: Position64, buffer: SharedArrayBuffer, o: Spsc64Options): Spsc64Consumer {
  return kind === 'bigint' ? new BigIntConsumer(buffer, o) : new NumberConsumer(buffer, o);
}
