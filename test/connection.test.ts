/**
 * Connection in isolation, with a fake host: what it keeps of a frame while
 * the job ring is full, and how it parses a pipelined backlog (a share per
 * turn, and not at all while it cannot take frames).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnswerSink, Connection, type ConnectionHost, FRAMES_PER_TURN } from '../src/connection.js';
import { lineFraming } from '../src/listeners/line-framing.js';

/** A sink that records what is written, and whether its peer reads (`reading`). */
function recordingSink(): AnswerSink & { readonly written: string[]; reading: boolean } {
  return {
    written: [],
    reading: true,
    write(bytes: Buffer) { this.written.push(bytes.toString('utf8')); return this.reading; },
    end: () => undefined, cork: () => undefined, uncork: () => undefined,
    pause: () => undefined, resume: () => undefined, destroySoon: () => undefined, destroy: () => undefined,
  };
}
const SINK = recordingSink();

/** A job ring that is full while `ringHasRoom` is false; it records the frames it accepts, as conn:frame. */
function fakeHost(ringHasRoom = false, maxInflight = 64)
  : ConnectionHost & { ringHasRoom: boolean; readonly enqueued: string[]; waits: number; publishes: number } {
  return {
    ringHasRoom,
    enqueued: [],
    waits: 0,
    publishes: 0,
    tryEnqueue(conn, _seq, buf, start, end) {
      if (!this.ringHasRoom) return false;
      this.enqueued.push(`${conn.id}:${buf.toString('utf8', start, end)}`);
      return true;
    },
    publishJobs() { this.publishes += 1; },
    waitForRingSpace() { this.waits += 1; },
    isDurable: () => true,
    writerFailed: false,
    maxInflight,
    answered: () => undefined,
    closed: () => undefined,
  };
}

/** One turn of the event loop: what setImmediate continuations ran by then. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function lines(prefix: string, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => `${prefix}${i}\n`).join(''));
}

/** Answers the first `n` requests in the window (seq order) and flushes them. */
function answer(conn: Connection, n: number): void {
  const first = conn.window.peekFirst()!.seq;
  const ok = Buffer.from('ok\n');
  for (let i = 0; i < n; i++) conn.complete((first + i) >>> 0, ok, 0, ok.length, -1, 0);
  conn.flush();
}

test('a frame that waits for ring space keeps its bytes when the decoder reuses its buffer for the next partial line', async () => {
  const host = fakeHost();
  const framing = lineFraming(100);
  const conn = new Connection(1, SINK, framing, host, '127.0.0.1', 1);
  // "abc" stays in the decoder's partial-line buffer; "d\n" completes the
  // frame there, and the ring is full, so it waits. Whatever the decoder
  // does next with "xyz", that buffer is its own to reuse.
  conn.onInput(Buffer.from('abc'));
  conn.onInput(Buffer.from('d\nxyz'));
  assert.equal(host.waits, 1, 'the connection asked for ring space');
  assert.deepEqual(host.enqueued, []);

  host.ringHasRoom = true;
  assert.equal(conn.retryOverflow(true), 'done');
  conn.onInput(Buffer.from('\n'));
  await nextTurn();
  assert.deepEqual(host.enqueued, ['1:abcd', '1:xyz']);
});

test(`a pipelined read is parsed ${FRAMES_PER_TURN} frames per turn, and another connection's read is served in between`, async () => {
  const host = fakeHost(true, 1024);
  const framing = lineFraming(100);
  const busy = new Connection(1, SINK, framing, host, '127.0.0.1', 1);
  const quiet = new Connection(2, SINK, framing, host, '127.0.0.1', 2);
  busy.onInput(lines('b', 3 * FRAMES_PER_TURN + 5));
  quiet.onInput(lines('q', 1));
  assert.equal(host.enqueued.length, FRAMES_PER_TURN + 1);
  assert.equal(host.enqueued.at(-1), '2:q0', 'the quiet connection did not wait for the whole backlog');
  for (let turn = 0; turn < 3; turn++) await nextTurn();
  const fromBusy = host.enqueued.filter((f) => f.startsWith('1:'));
  assert.deepEqual(fromBusy, Array.from({ length: 3 * FRAMES_PER_TURN + 5 }, (_, i) => `1:b${i}`), 'all of it, in order');
  assert.ok(host.publishes >= 3, 'each continuation publishes what it enqueued');
});

test('a connection with a full window stops parsing its read, and goes on when answers leave', async () => {
  const maxInflight = 8;
  const host = fakeHost(true, maxInflight);
  const sink = recordingSink();
  const conn = new Connection(1, sink, lineFraming(100), host, '127.0.0.1', 1);
  conn.onInput(lines('r', 20));
  await nextTurn();
  assert.equal(host.enqueued.length, maxInflight, 'only what the window holds went to the ring');
  assert.equal(conn.unanswered, maxInflight, 'no frame was set aside: the rest of the read waits unparsed');
  answer(conn, maxInflight);
  await nextTurn();
  assert.equal(host.enqueued.length, 2 * maxInflight);
  answer(conn, maxInflight);
  await nextTurn();
  assert.deepEqual(host.enqueued, Array.from({ length: 20 }, (_, i) => `1:r${i}`));
  assert.equal(sink.written.length, 2 * maxInflight);
});

test('a peer that does not read its answers stops being parsed until it does', async () => {
  const host = fakeHost(true, 1024);
  const sink = recordingSink();
  const conn = new Connection(1, sink, lineFraming(100), host, '127.0.0.1', 1);
  sink.reading = false;
  conn.onInput(lines('r', 10));
  assert.equal(host.enqueued.length, 10);
  answer(conn, 1); // the write reports a full socket buffer
  conn.onInput(lines('s', 10)); // (a read that was under way)
  await nextTurn();
  await nextTurn();
  assert.equal(host.enqueued.length, 10, 'nothing more parsed while the peer does not read');
  sink.reading = true;
  conn.writable(); // 'drain'
  await nextTurn();
  assert.equal(host.enqueued.length, 20);
});
