/**
 * The ring variants behind the experiments (native-queue/experiments/) must
 * be correct, or their figures describe a broken ring: the minimal SPSC
 * rings of the cursor experiments, the notify-policy variants and the
 * layout variants of the padding experiment. Short threaded runs, every
 * value checked; a lost, duplicated or reordered value fails the trial.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NOTIFY_POLICIES } from '../experiments/notify-variants.js';
import { CURSOR_STRIDES, importRings, layoutVariant } from '../experiments/layout-variant.js';
import { EMPTY, Spsc32Consumer, Spsc32Producer, createSpsc32 } from '../experiments/spsc-ring-32.js';
import { type Position64, createSpsc64, spsc64Consumer, spsc64Producer } from '../experiments/spsc-ring-64.js';
import { spscTrial } from '../experiments/spsc-trial.js';
import { streamTrial } from '../experiments/stream-trial.js';

interface Pair { tryPush(v: number): boolean; tryPop(): number }

function spscPair(kind: 'int32' | Position64, slots: number, cacheRemote: boolean, initial: number): Pair {
  if (kind === 'int32') {
    const o = { strideBytes: 128, slots, cacheRemote, initial };
    const buffer = createSpsc32(o);
    const p = new Spsc32Producer(buffer, o);
    const c = new Spsc32Consumer(buffer, o);
    return { tryPush: (v) => p.tryPush(v), tryPop: () => c.tryPop() };
  }
  const o = { slots, cacheRemote, initial };
  const buffer = createSpsc64(o);
  const p = spsc64Producer(kind, buffer, o);
  const c = spsc64Consumer(kind, buffer, o);
  return { tryPush: (v) => p.tryPush(v), tryPop: () => c.tryPop() };
}

for (const kind of ['int32', 'bigint', 'number'] as const) {
  for (const cacheRemote of [true, false]) {
    const initial = kind === 'int32' ? 2 ** 31 - 5 : 2 ** 32 - 5;
    test(`minimal SPSC ring, ${kind} cursors, ${cacheRemote ? 'cached' : 'uncached'} remote cursor: holds exactly its slots, FIFO across the wrap from ${initial}`, () => {
      const slots = 8;
      const ring = spscPair(kind, slots, cacheRemote, initial);
      let next = 0;
      let expected = 0;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < slots; i++) assert.equal(ring.tryPush(next++), true, `push ${i} of ${slots} into an empty ring`);
        assert.equal(ring.tryPush(next), false, 'a full ring refuses one more');
        for (let i = 0; i < slots; i++) assert.equal(ring.tryPop(), expected++);
        assert.equal(ring.tryPop(), EMPTY, 'an emptied ring is empty');
      }
    });
  }
}

for (const kind of ['int32', 'bigint', 'number'] as const) {
  test(`minimal SPSC ring, ${kind} cursors: 50,000 values between two threads arrive once and in order`, async () => {
    // The consumer thread throws on the first value out of order, and the trial rejects.
    const t = await spscTrial(kind, { strideBytes: 4, slots: 64, cacheRemote: true, initial: kind === 'int32' ? 2 ** 31 - 1000 : 2 ** 32 - 1000 }, 50_000);
    assert.ok(t.msgsPerS > 0);
  });
}

for (const policy of NOTIFY_POLICIES) {
  for (const ring of ['spmc', 'mpsc'] as const) {
    const [producers, consumers] = ring === 'spmc' ? [1, 2] : [2, 1];
    test(`notify policy "${policy}", ${ring.toUpperCase()} ${producers}→${consumers}: every record delivered once, in order, through a 4 KiB ring with no spinning`, async () => {
      // spin 0 and a small ring: every empty and every full sleeps, so the waking path runs thousands of times.
      const t = await streamTrial({ ring, producers, consumers, policy, spin: 0, capacity: 4096, payload: 64, recordsPerProducer: 10_000 / producers, batch: ring === 'spmc' ? 1 : Infinity });
      assert.ok(t.sleepsPerK > 0, 'the trial never slept, so it did not test the waking path');
      // The variant really is in force: 'always' notifies after every publish.
      if (policy === 'always') assert.ok(t.notifiesPerK >= 1000, `"always" made only ${t.notifiesPerK} notifies per 1000 records`);
      if (policy === 'when-sleeping') assert.ok(t.notifiesPerK < 1000, `the package's policy made ${t.notifiesPerK} notifies per 1000 records, as if it notified on every publish`);
    });
  }
}

for (const stride of CURSOR_STRIDES) {
  test(`layout variant, cursors ${stride} bytes apart: READ moves at byte ${stride} and the rings deliver every record between threads`, async () => {
    const { SpmcRing, MpscRing } = await importRings(layoutVariant(stride));
    const ring = SpmcRing.create({ capacity: 4096 });
    assert.equal(ring.tryPush(new Uint8Array(8)), true);
    assert.equal(ring.tryPopInto(new Uint8Array(ring.maxPayload)), 8);
    const words = new Int32Array(ring.buffer);
    assert.equal(words[stride / 4], 16, 'READ has advanced by one 16-byte record');
    assert.equal(words[0], 16, 'WRITE has too');
    if (stride !== 32 * 4) assert.equal(words[32], 0, 'nothing is at the package\'s READ word');
    assert.equal(MpscRing.create({ capacity: 4096 }).capacity, 4096);
    for (const kind of ['spmc', 'mpsc'] as const) {
      await streamTrial({ ring: kind, producers: 1, consumers: 1, policy: 'when-sleeping', spin: 0, capacity: 4096, payload: 64, recordsPerProducer: 5_000, batch: 1, cursorStride: stride });
    }
  });
}
