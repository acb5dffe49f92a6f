import type { Connection, Framing } from '../connection.js';
import type { FrameSink } from '../framing/frame-sink.js';
import type { ListenerName } from '../records.js';

interface Decoder {
  push(chunk: Buffer, sink: FrameSink, from: number): boolean;
  readonly stoppedAt: number;
}

/**
 * A persistent, pipelined framing: one decoder per connection, frames go to
 * the connection, a corrupt stream becomes a protocol error (ERR + close).
 */
export function streamFraming(listener: ListenerName, newDecoder: () => Decoder,
  frameAnswer: Framing['frameAnswer']): Framing {
  const decoders = new WeakMap<Connection, Decoder>();
  // One sink per connection would be one more closure each: the connection
  // being decoded is passed through this variable instead.
  let current: Connection | null = null;
  const sink: FrameSink = {
    frame: (buf: Buffer, start: number, end: number) => current!.submit(buf, start, end),
    error: (reason: string) => current!.protocolError(reason),
    full: () => current!.inputFull,
  };
  return {
    listener,
    oneShot: false,
    onData(conn: Connection, chunk: Buffer, from: number): number {
      if (conn.ignoreInput) return chunk.length;
      let decoder = decoders.get(conn);
      if (decoder === undefined) {
        decoder = newDecoder();
        decoders.set(conn, decoder);
      }
      current = conn;
      try {
        decoder.push(chunk, sink, from);
      } finally {
        current = null;
      }
      return decoder.stoppedAt;
    },
    frameAnswer,
  };
}
