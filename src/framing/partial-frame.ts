/**
 * The bytes of a frame that arrived in pieces. It grows by doubling up to a
 * hard maximum, so a connection never holds more than one frame's worth.
 */
export class PartialFrame {
  #buf: Buffer = Buffer.alloc(0);
  #length = 0;

  constructor(readonly max: number) {}

  get length(): number {
    return this.#length;
  }

  get bytes(): Buffer {
    return this.#buf;
  }

  append(src: Buffer, start: number, end: number): void {
    const need = this.#length + (end - start);
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, this.#buf.length * 2, 256)));
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    src.copy(this.#buf, this.#length, start, end);
    this.#length = need;
  }

  clear(): void {
    this.#length = 0;
    // Give back a large buffer: one big frame must not pin its memory forever.
    if (this.#buf.length > 64 * 1024) this.#buf = Buffer.alloc(0);
  }
}
