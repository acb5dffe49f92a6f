/**
 * Connection in isolation, with a fake host: what it keeps of a frame while
 * the job ring is full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnswerSink, Connection, type ConnectionHost } from '../src/connection.js';
import { lineFraming } from '../src/listeners/line-framing.js';

/** A sink that accepts everything and records nothing: this test looks at what reaches the ring. */
const SINK: AnswerSink = {
  write: () => true, end: () => undefined, cork: () => undefined, uncork: () => undefined,
  pause: () => undefined, resume: () => undefined, destroySoon: () => undefined, destroy: () => undefined,
};

/** A job ring that is full until `ringHasRoom` is set; it records the frames it accepts. */
function fakeHost(): ConnectionHost & { ringHasRoom: boolean; readonly enqueued: string[]; waits: number } {
  return {
    ringHasRoom: false,
    enqueued: [],
    waits: 0,
    tryEnqueue(_conn, _seq, buf, start, end) {
      if (!this.ringHasRoom) return false;
      this.enqueued.push(buf.toString('utf8', start, end));
      return true;
    },
    waitForRingSpace() { this.waits += 1; },
    isDurable: () => true,
    writerFailed: false,
    maxInflight: 64,
    answered: () => undefined,
    closed: () => undefined,
  };
}

test('a frame that waits for ring space keeps its bytes when the decoder reuses its buffer for the next partial line', () => {
  const host = fakeHost();
  const framing = lineFraming(100);
  const conn = new Connection(1, SINK, framing, host, '127.0.0.1', 1);
  // "abc" stays in the decoder's partial-line buffer; "d\n" completes the
  // frame there, and the ring is full, so it waits. In the same chunk "xyz"
  // starts the next partial line in that same buffer.
  framing.onData(conn, Buffer.from('abc'));
  framing.onData(conn, Buffer.from('d\nxyz'));
  assert.equal(host.waits, 1, 'the connection asked for ring space');
  assert.deepEqual(host.enqueued, []);

  host.ringHasRoom = true;
  assert.equal(conn.retryOverflow(true), 'done');
  framing.onData(conn, Buffer.from('\n'));
  assert.deepEqual(host.enqueued, ['abcd', 'xyz']);
});
