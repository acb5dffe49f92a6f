import type { Connection, Framing } from '../connection.js';
import { copyAnswer } from '../framing/copy-answer.js';
import { seedMessageEnd } from '../framing/seed-frame.js';

/**
 * The original protocol: the message is the first read of the connection
 * (at most 1024 bytes, up to a first newline); the answer is followed by a
 * half-close. Later bytes are read and dropped, so closing never resets a
 * connection that still has unread input (the reset could destroy the answer
 * in flight to the client).
 */
export const seedFraming: Framing = {
  listener: 'seed',
  oneShot: true,
  onData(conn: Connection, chunk: Buffer): number {
    if (conn.ignoreInput) return chunk.length;
    conn.ignoreInput = true;
    conn.submit(chunk, 0, seedMessageEnd(chunk));
    return chunk.length;
  },
  frameAnswer: copyAnswer,
};
