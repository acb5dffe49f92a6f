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
  /**
   * Where the last push() stopped: the chunk's length when it took all of it
   * (a partial frame at its end is buffered), else the offset of the first
   * byte left unparsed because the sink said it was full.
   */
  stoppedAt = 0;

  constructor(readonly maxFrame: number) {
    // +1: a trailing `\r` may sit in the buffer until the `\n` shows it is one.
    this.#partial = new PartialFrame(maxFrame + 1);
  }

  get bufferedBytes(): number {
    return this.#partial.length;
  }

  /**
   * Feeds `chunk[from..]`; false once the stream has failed (nothing more is
   * read). It stops early, after a frame, when the sink reports itself full.
   */
  push(chunk: Buffer, sink: FrameSink, from = 0): boolean {
    this.stoppedAt = chunk.length;
    if (this.#failed) return false;
    let start = from;
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
      if (sink.full?.() === true && start < chunk.length) {
        this.stoppedAt = start;
        return true;
      }
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
