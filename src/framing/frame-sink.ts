/**
 * Where a decoder delivers what it finds. A frame is `buf[start, end)`; the
 * buffer may be the received chunk itself (zero-copy) or the decoder's
 * internal buffer, valid only during the call (copy what you keep).
 */
export interface FrameSink {
  frame(buf: Buffer, start: number, end: number): void;
  /** The stream is unusable from here on; the decoder refuses further input. */
  error(reason: string): void;
  /**
   * Asked after each frame: true makes the decoder stop there and leave the
   * rest of the chunk unparsed (its `stoppedAt`), to be pushed again later.
   * How a connection that cannot take more frames now stops parsing instead
   * of copying every remaining frame of a 64 KiB read aside.
   */
  full?(): boolean;
}
