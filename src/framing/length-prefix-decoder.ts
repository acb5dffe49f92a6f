import { copyBytes } from 'native-queue';
import type { FrameSink } from './frame-sink.js';
import { PartialFrame } from './partial-frame.js';

/**
 * Frames preceded by a big-endian *signed* length, as JMeter's
 * LengthPrefixedBinaryTCPClientImpl writes them: 2 bytes (so at most 32767)
 * or 4. The length alone decides whether a frame is acceptable, before any
 * of its payload is buffered.
 */
export class LengthPrefixDecoder {
  readonly #prefix = Buffer.alloc(4);
  #prefixHave = 0;
  /** Payload bytes still expected for the current frame; -1: reading a prefix. */
  #want = -1;
  readonly #partial: PartialFrame;
  #failed = false;
  /** As LineDecoder.stoppedAt: chunk.length, or where a full sink stopped it. */
  stoppedAt = 0;

  constructor(readonly prefixBytes: 2 | 4, readonly maxFrame: number) {
    this.#partial = new PartialFrame(maxFrame);
  }

  get bufferedBytes(): number {
    return this.#prefixHave + this.#partial.length;
  }

  /** As LineDecoder.push: `chunk[from..]`, stopping after a frame when the sink is full. */
  push(chunk: Buffer, sink: FrameSink, from = 0): boolean {
    this.stoppedAt = chunk.length;
    if (this.#failed) return false;
    let at = from;
    while (at < chunk.length) {
      // Between frames only: #want < 0 and no prefix byte buffered.
      if (at > from && this.#want < 0 && this.#prefixHave === 0 && sink.full?.() === true) {
        this.stoppedAt = at;
        return true;
      }
      if (this.#want < 0) {
        // Fast path: a whole prefix and frame inside the chunk, zero-copy.
        if (this.#prefixHave === 0 && chunk.length - at >= this.prefixBytes) {
          const n = this.prefixBytes === 2 ? chunk.readInt16BE(at) : chunk.readInt32BE(at);
          if (!this.#accept(n, sink)) return false;
          at += this.prefixBytes;
          if (chunk.length - at >= n) {
            sink.frame(chunk, at, at + n);
            at += n;
            this.#want = -1;
            continue;
          }
          this.#want = n;
          continue;
        }
        const take = Math.min(this.prefixBytes - this.#prefixHave, chunk.length - at);
        chunk.copy(this.#prefix, this.#prefixHave, at, at + take);
        this.#prefixHave += take;
        at += take;
        if (this.#prefixHave < this.prefixBytes) break;
        this.#prefixHave = 0;
        const n = this.prefixBytes === 2 ? this.#prefix.readInt16BE(0) : this.#prefix.readInt32BE(0);
        if (!this.#accept(n, sink)) return false;
        this.#want = n;
        if (n === 0) { sink.frame(chunk, at, at); this.#want = -1; }
        continue;
      }
      const take = Math.min(this.#want - this.#partial.length, chunk.length - at);
      if (this.#partial.length === 0 && take === this.#want) {
        sink.frame(chunk, at, at + take);
      } else {
        this.#partial.append(chunk, at, at + take);
        if (this.#partial.length === this.#want) {
          sink.frame(this.#partial.bytes, 0, this.#want);
          this.#partial.clear();
        } else {
          at += take;
          break;
        }
      }
      at += take;
      this.#want = -1;
    }
    return true;
  }

  #accept(n: number, sink: FrameSink): boolean {
    if (n < 0) return this.#fail(sink, `negative frame length ${n}`);
    if (n > this.maxFrame) return this.#fail(sink, `frame too large: ${n} bytes, max ${this.maxFrame}`);
    return true;
  }

  #fail(sink: FrameSink, reason: string): false {
    this.#failed = true;
    this.#partial.clear();
    sink.error(reason);
    return false;
  }
}

/**
 * Prefix and payload in ONE buffer: JMeter reads the prefix with a single
 * read(). The payload is `payload[start, end)`, copied once.
 */
export function encodeLengthPrefixed(payload: Uint8Array, prefixBytes: 2 | 4, start = 0, end = payload.length): Buffer {
  const length = end - start;
  const max = prefixBytes === 2 ? 0x7fff : 0x7fffffff;
  if (length > max) {
    throw new RangeError(`payload of ${length} bytes does not fit a ${prefixBytes}-byte signed length (max ${max})`);
  }
  const out = Buffer.allocUnsafe(prefixBytes + length);
  if (prefixBytes === 2) out.writeInt16BE(length, 0); else out.writeInt32BE(length, 0);
  copyBytes(payload, start, out, prefixBytes, length);
  return out;
}
