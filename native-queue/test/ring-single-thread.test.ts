import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADER_BYTES, MpscRing, SpmcRing, recordSize } from '../src/index.js';

type Ring = SpmcRing | MpscRing;
const KINDS = [
  ['SPMC', (capacity: number, maxPayload?: number, initialPosition?: number): Ring =>
    SpmcRing.create({ capacity, maxPayload, initialPosition })],
  ['MPSC', (capacity: number, maxPayload?: number, initialPosition?: number): Ring =>
    MpscRing.create({ capacity, maxPayload, initialPosition })],
] as const;

function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Pops every record, returning copies. */
function popAll(ring: Ring): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (;;) {
    const got = ring.drain((data, index, length) => { out.push(data.slice(index, index + length)); }, 1);
    if (got === 0) return out;
  }
}

for (const [kind, make] of KINDS) {
  test(`${kind}: an empty ring has no data and pops nothing`, () => {
    const ring = make(256);
    assert.equal(ring.hasData(), false);
    assert.equal(ring.tryPopInto(new Uint8Array(ring.maxPayload)), -1);
    assert.equal(ring.stats().consumer.emptyPolls, 1);
  });

  test(`${kind}: drain with max 0 takes nothing and returns at once, even with records waiting`, () => {
    const ring = make(256);
    assert.equal(ring.tryPush(bytes(3, 9)), true);
    let visits = 0;
    assert.equal(ring.drain(() => { visits += 1; }, 0), 0);
    assert.equal(visits, 0);
    assert.deepEqual(popAll(ring).map((b) => b.length), [3]);
  });

  test(`${kind}: records come out in order with their exact bytes`, () => {
    const ring = make(1024);
    for (let i = 1; i <= 5; i++) assert.equal(ring.tryPush(bytes(i * 7, i)), true);
    const got = popAll(ring);
    assert.deepEqual(got.map((b) => b.length), [7, 14, 21, 28, 35]);
    got.forEach((b, i) => assert.ok(b.every((x) => x === i + 1)));
    const stats = ring.stats();
    assert.equal(stats.producer.records, 5);
    assert.equal(stats.consumer.records, 5);
    assert.equal(stats.producer.bytes, 105);
  });

  test(`${kind}: a full ring refuses a push and counts a full event, then accepts after a pop`, () => {
    const ring = make(256, 64);
    // 256 bytes hold exactly four 56-byte payloads (8 header + 56 = 64 each).
    for (let i = 0; i < 4; i++) assert.equal(ring.tryPush(bytes(56, i)), true, `push ${i}`);
    assert.equal(ring.tryPush(bytes(1, 9)), false);
    assert.equal(ring.stats().producer.fullEvents, 1);
    assert.equal(ring.tryPopInto(new Uint8Array(64)), 56);
    assert.equal(ring.tryPush(bytes(56, 4)), true);
    assert.deepEqual(popAll(ring).map((b) => b[0]), [1, 2, 3, 4]);
  });

  test(`${kind}: a record that exactly fits the remaining space is accepted`, () => {
    const ring = make(128, 56);
    assert.equal(ring.tryPush(bytes(56, 1)), true); // 64 bytes
    assert.equal(ring.tryPush(bytes(56, 2)), true); // exactly the other 64
    assert.equal(ring.queuedBytes, 128);
    assert.equal(ring.tryPush(new Uint8Array(0)), false);
  });

  test(`${kind}: a record that does not fit before the end wraps behind a padding record`, () => {
    const ring = make(256, 100);
    assert.equal(ring.tryPush(bytes(100, 1)), true); // 112 bytes at 0
    assert.equal(ring.tryPush(bytes(80, 2)), true); // 88 bytes at 112, ends at 200
    assert.equal(popAll(ring).length, 2);
    // 56 bytes remain before the end: a 100-byte payload (112) must wrap to 0.
    assert.equal(ring.tryPush(bytes(100, 3)), true);
    assert.equal(ring.queuedBytes, 56 + 112);
    const got = popAll(ring);
    assert.equal(got.length, 1);
    assert.ok(got[0]!.every((x) => x === 3));
    assert.equal(ring.stats().consumer.records, 3, 'padding is not a record');
  });

  test(`${kind}: an oversize record is refused with an error naming both sizes`, () => {
    const ring = make(1024, 100);
    assert.throws(() => ring.tryPush(bytes(101, 0)), /101 bytes exceeds maxPayload=100/);
    assert.throws(() => ring.tryClaim(5000), /5000 bytes exceeds maxPayload=100/);
  });

  test(`${kind}: maxPayload is bounded by half the capacity`, () => {
    assert.throws(() => make(256, 200), /maxPayload must be 0\.\.120 for capacity=256/);
    assert.throws(() => make(100), /power of two/);
    assert.equal(make(1 << 20).maxPayload, 64 * 1024);
  });

  test(`${kind}: claim/commit writes in place and may commit fewer bytes than claimed`, () => {
    const ring = make(1024);
    const at = ring.tryClaim(100);
    assert.ok(at >= HEADER_BYTES);
    ring.data.set([1, 2, 3], at);
    ring.commit(3);
    assert.deepEqual(popAll(ring).map((b) => [...b]), [[1, 2, 3]]);
    assert.throws(() => ring.commit(1), /commit without a claim/);
    ring.tryClaim(4);
    assert.throws(() => ring.commit(5), /outside the claimed 0\.\.4 bytes/);
  });

  test(`${kind}: a closed ring refuses pushes but still delivers what was pushed before`, () => {
    const ring = make(1024);
    assert.equal(ring.tryPush(bytes(3, 7)), true);
    ring.close();
    assert.equal(ring.closed, true);
    assert.equal(ring.tryPush(bytes(3, 8)), false);
    assert.equal(ring.tryClaim(3), -1);
    assert.deepEqual(popAll(ring).map((b) => b[0]), [7]);
  });

  test(`${kind}: attach() from the buffer sees the same records`, () => {
    const ring = make(1024);
    ring.tryPush(bytes(5, 5));
    const other = kind === 'SPMC' ? SpmcRing.attach(ring.buffer) : MpscRing.attach(ring.buffer);
    assert.equal(other.capacity, 1024);
    assert.deepEqual(popAll(other).map((b) => b.length), [5]);
  });

  test(`${kind}: waitForData/waitForSpace time out with a finite timeout`, () => {
    const ring = make(128, 56);
    // Atomics.wait is allowed on the main thread of Node (not in browsers);
    // the server never calls it there, tests may.
    assert.equal(ring.waitForData(1), 'timed-out');
    ring.tryPush(bytes(56, 1));
    ring.tryPush(bytes(56, 2));
    assert.equal(ring.waitForSpace(56, 1), 'timed-out');
    assert.equal(ring.waitForData(1), 'ok');
    ring.close();
    popAll(ring);
    assert.equal(ring.waitForData(), 'closed');
  });

  test(`${kind}: the data of freed records is reused without allocation-visible drift`, () => {
    // 10,000 pushes of varied sizes through a 512-byte ring: every byte comes
    // back intact, positions wrap the area many times.
    const ring = make(512, 200);
    const dest = new Uint8Array(ring.maxPayload);
    let pushed = 0;
    for (let i = 0; i < 10_000; i++) {
      const len = (i * 37) % 201;
      assert.equal(ring.tryPush(bytes(len, i & 0xff)), true);
      pushed += recordSize(len);
      const n = ring.tryPopInto(dest);
      assert.equal(n, len);
      for (let j = 0; j < n; j++) assert.equal(dest[j], i & 0xff);
    }
    assert.ok(pushed > 100 * 512);
  });
}

test('SPMC: drain takes a batch with one CAS and visits each record once', () => {
  const ring = SpmcRing.create({ capacity: 1024 });
  for (let i = 0; i < 10; i++) ring.tryPush(bytes(4, i));
  const seen: number[] = [];
  assert.equal(ring.drain((data, index) => { seen.push(data[index]!); }, 4), 4);
  assert.equal(ring.drain((data, index) => { seen.push(data[index]!); }, 100), 6);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(ring.stats().consumer.casRetries, 0);
});

test('SPMC: a visitor that throws still sees the rest of its batch, and the error surfaces', () => {
  const ring = SpmcRing.create({ capacity: 1024 });
  for (let i = 0; i < 3; i++) ring.tryPush(bytes(1, i));
  const seen: number[] = [];
  assert.throws(() => ring.drain((data, index) => {
    seen.push(data[index]!);
    if (data[index] === 0) throw new Error('boom');
  }, 3), /boom/);
  assert.deepEqual(seen, [0, 1, 2]);
  // The space is reclaimable: the ring can be filled again.
  for (let i = 0; i < 30; i++) assert.equal(ring.tryPush(bytes(16, i)), true, `push ${i}`);
});

test('SPMC: unpublished commits stay invisible until publish()', () => {
  const ring = SpmcRing.create({ capacity: 1024 });
  const at = ring.tryClaim(1);
  ring.data[at] = 42;
  ring.commit(1, false);
  assert.equal(ring.hasData(), false);
  ring.publish();
  assert.equal(ring.hasData(), true);
});

test('SPMC: space taken but not yet consumed-marked is not reclaimed', () => {
  const ring = SpmcRing.create({ capacity: 128, maxPayload: 56 });
  ring.tryPush(bytes(56, 1));
  ring.tryPush(bytes(56, 2));
  let reentered: boolean | null = null;
  ring.drain(() => {
    // Inside the visit the record is taken (READ moved) but not released:
    // the producer must not overwrite it.
    reentered = ring.tryPush(bytes(56, 3));
  }, 1);
  assert.equal(reentered, false);
  assert.equal(ring.tryPush(bytes(56, 3)), true);
});

test('SPMC: a batch is handed back by one consumed-mark, after its last record was visited', () => {
  // Capacity 256: four records of 56 bytes (64 with the header) fill it.
  const ring = SpmcRing.create({ capacity: 256, maxPayload: 56 });
  for (let i = 1; i <= 4; i++) assert.equal(ring.tryPush(bytes(56, i)), true);
  const pushedDuringVisit: boolean[] = [];
  const seen: number[] = [];
  const taken = ring.drain((data, index) => {
    seen.push(data[index]!);
    // Records visited earlier in the batch are read already, but the batch
    // is handed back only once, at its end: no room yet.
    pushedDuringVisit.push(ring.tryPush(bytes(56, 9)));
  }, 3);
  assert.equal(taken, 3);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(pushedDuringVisit, [false, false, false]);
  // The mark freed the three records at once.
  for (let i = 5; i <= 7; i++) assert.equal(ring.tryPush(bytes(56, i)), true, `push ${i} after the batch`);
  assert.equal(ring.tryPush(bytes(56, 8)), false, 'the ring holds 4, 5, 6, 7');
  assert.deepEqual(popAll(ring).map((b) => b[0]), [4, 5, 6, 7]);
});

test('MPSC: a visitor that throws frees the records visited so far and keeps the rest', () => {
  const ring = MpscRing.create({ capacity: 1024 });
  for (let i = 0; i < 3; i++) ring.tryPush(bytes(1, i));
  assert.throws(() => ring.drain((data, index) => { if (data[index] === 1) throw new Error('boom'); }), /boom/);
  assert.deepEqual(popAll(ring).map((b) => b[0]), [2]);
});

test('MPSC: a claim that is not committed holds back the records claimed after it', () => {
  const ring = MpscRing.create({ capacity: 1024 });
  const first = MpscRing.attach(ring.buffer);
  const second = MpscRing.attach(ring.buffer);
  const at = first.tryClaim(4);
  assert.equal(second.tryPush(bytes(4, 2)), true);
  assert.equal(ring.hasData(), false, 'the head is claimed but uncommitted');
  assert.deepEqual(popAll(ring), []);
  first.data.set([1, 1, 1, 1], at);
  first.commit(4);
  assert.deepEqual(popAll(ring).map((b) => b[0]), [1, 2]);
});

test('MPSC: freed space is zeroed, so stale bytes never look like a header', () => {
  const ring = MpscRing.create({ capacity: 256, maxPayload: 120 });
  ring.tryPush(bytes(120, 0xff));
  popAll(ring);
  assert.ok(ring.data.every((b) => b === 0));
});

test('MPSC: a claim made before close() and committed after it is still delivered before "closed"', async () => {
  const ring = MpscRing.create({ capacity: 1024 });
  const producer = MpscRing.attach(ring.buffer);
  const at = producer.tryClaim(3);
  ring.close();
  assert.equal(ring.waitForData(1), 'timed-out', 'an outstanding claim keeps the consumer waiting');
  const pending = ring.whenData();
  producer.data.set([7, 8, 9], at);
  producer.commit(3);
  assert.equal(await pending, 'ok');
  assert.deepEqual(popAll(ring).map((b) => [...b]), [[7, 8, 9]]);
  assert.equal(ring.waitForData(), 'closed');
  assert.equal(await ring.whenData(), 'closed');
});
