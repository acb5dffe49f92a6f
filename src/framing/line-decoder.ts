import type { FrameSink } from './frame-sink.js';
import { PartialFrame } from './partial-frame.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Newline-delimited frames; a `\r` right before the `\n` is not part of the
 * frame. A frame longer than `maxFrame` bytes is reported as soon as the
 * byte count proves it, without waiting for its newline, so a client cannot
 * make the server buffer an endless line.
 */
export class LineDecoder {
  readonly #partial: PartialFrame;
  #failed = false;

  constructor(readonly maxFrame: number) {
    // +1: a trailing `\r` may sit in the buffer until the `\n` shows it is one.
    this.#partial = new PartialFrame(maxFrame + 1);
  }

  get bufferedBytes(): number {
    return this.#partial.length;
  }

  /** Feeds a chunk; false once the stream has failed (nothing more is read). */
  push(chunk: Buffer, sink: FrameSink): boolean {
    if (this.#failed) return false;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) break;
      if (this.#partial.length > 0) {
        // Checked before appending: the partial buffer never grows past max + 1.
        if (this.#partial.length + (nl - start) > this.maxFrame + 1) return this.#fail(sink);
        this.#partial.append(chunk, start, nl);
        const buf = this.#partial.bytes;
        let end = this.#partial.length;
        if (end > 0 && buf[end - 1] === CR) end--;
        if (end > this.maxFrame) return this.#fail(sink);
        sink.frame(buf, 0, end);
        this.#partial.clear();
      } else {
        let end = nl;
        if (end > start && chunk[end - 1] === CR) end--;
        if (end - start > this.maxFrame) return this.#fail(sink);
        sink.frame(chunk, start, end);
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      // The tail has no newline yet. Its first max + 1 bytes prove the frame
      // too large unless byte max + 1 is a `\r` that a `\n` could still
      // turn into a terminator; past max + 1 bytes nothing can save it.
      const total = this.#partial.length + (chunk.length - start);
      if (total > this.maxFrame + 1 || (total === this.maxFrame + 1 && chunk[chunk.length - 1] !== CR)) {
        return this.#fail(sink);
      }
      this.#partial.append(chunk, start, chunk.length);
    }
    return true;
  }

  #fail(sink: FrameSink): false {
    this.#failed = true;
    this.#partial.clear();
    sink.error(`frame too large: more than ${this.maxFrame} bytes`);
    return false;
  }
}
