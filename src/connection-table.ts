import { FixedStack } from 'mnemonist';
import type { Connection } from './connection.js';

/**
 * Open connections by id. An id is a slot (low 16 bits) plus the slot's
 * generation (high 16 bits): an answer that comes back from a worker after
 * its client left carries an old generation and is dropped, even if the slot
 * now serves a new client.
 */
export class ConnectionTable {
  readonly #slots: (Connection | undefined)[];
  readonly #generations: Uint16Array;
  readonly #free: FixedStack<number>;

  constructor(readonly capacity: number) {
    if (capacity > 0x10000) throw new RangeError(`at most 65536 connections, got ${capacity}`);
    this.#slots = new Array<Connection | undefined>(capacity).fill(undefined);
    this.#generations = new Uint16Array(capacity);
    this.#free = new FixedStack<number>(Uint32Array, capacity);
    for (let slot = capacity - 1; slot >= 0; slot--) this.#free.push(slot);
  }

  get size(): number {
    return this.capacity - this.#free.size;
  }

  /** A fresh id, or -1 when every slot is taken. */
  allocate(): number {
    const slot = this.#free.pop();
    if (slot === undefined) return -1;
    return ((this.#generations[slot]! << 16) | slot) >>> 0;
  }

  set(id: number, conn: Connection): void {
    this.#slots[id & 0xffff] = conn;
  }

  get(id: number): Connection | undefined {
    const slot = id & 0xffff;
    if (slot >= this.capacity || this.#generations[slot] !== id >>> 16) return undefined;
    return this.#slots[slot];
  }

  release(id: number): void {
    const slot = id & 0xffff;
    if (this.get(id) === undefined) return;
    this.#slots[slot] = undefined;
    this.#generations[slot] = (this.#generations[slot]! + 1) & 0xffff;
    this.#free.push(slot);
  }

  *all(): IterableIterator<Connection> {
    for (const conn of this.#slots) if (conn !== undefined) yield conn;
  }
}
