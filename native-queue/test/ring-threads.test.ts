import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { MpscRing, SpmcRing } from '../src/index.js';
import type { ConsumerReport, Role } from './fixtures/ring-thread.js';

const THREAD = new URL('./fixtures/ring-thread.js', import.meta.url);
/** A hang is a failure, never a wait: every multi-thread test has a watchdog. */
const WATCHDOG_MS = 60_000;

interface Running<T> { readonly worker: Worker; readonly result: Promise<T> }

function start<T>(role: Role): Running<T> {
  const worker = new Worker(THREAD, { workerData: role });
  const result = new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${role.role} exited (${code}) before reporting`)));
  });
  return { worker, result };
}

/** Awaits every result; on a hang, terminates all threads and fails loudly. */
async function settle<T>(what: string, running: readonly Running<T>[]): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: HANG, no progress for ${WATCHDOG_MS} ms (lost wake-up?)`)), WATCHDOG_MS);
  });
  try {
    return await Promise.race([Promise.all(running.map((r) => r.result)), watchdog]);
  } finally {
    clearTimeout(timer);
    await Promise.all(running.map((r) => r.worker.terminate()));
  }
}

const STRESS_RECORDS = 1_000_000;

for (const consumers of [1, 3]) {
  test(`SPMC stress: 1 producer to ${consumers} consumers, ${STRESS_RECORDS} self-checking records through a 16 KiB ring, each exactly once and in order`, async () => {
    const ring = SpmcRing.create({ capacity: 16 * 1024, maxPayload: 4096 });
    const seen = new SharedArrayBuffer(STRESS_RECORDS * 4);
    const running: Running<ConsumerReport | { done: true }>[] = [
      start({ role: 'spmc-producer', ring: ring.buffer, records: STRESS_RECORDS, maxPayload: ring.maxPayload }),
    ];
    for (let slot = 0; slot < consumers; slot++) {
      running.push(start({ role: 'spmc-consumer', ring: ring.buffer, seen, slot }));
    }
    const reports = (await settle('SPMC stress', running)).slice(1) as ConsumerReport[];
    const total = reports.reduce((n, r) => n + r.records, 0);
    assert.equal(total, STRESS_RECORDS);
    const counts = new Int32Array(seen);
    const wrong = counts.findIndex((c) => c !== 1);
    assert.equal(wrong, -1, `record ${wrong} delivered ${counts[wrong]} times`);
    const stats = ring.stats();
    assert.equal(stats.producer.records, STRESS_RECORDS);
    assert.equal(stats.consumer.records, STRESS_RECORDS);
    assert.equal(stats.producer.bytes, stats.consumer.bytes);
    assert.ok(stats.producer.fullEvents > 0, 'the ring was small enough to fill');
    if (consumers > 1) assert.ok(reports.every((r) => r.records > 0), 'every consumer took records');
  });
}

for (const producers of [2, 3]) {
  test(`MPSC stress: ${producers} producers to 1 consumer, ${STRESS_RECORDS} self-checking records through a 16 KiB ring, each exactly once and FIFO per producer`, async () => {
    const ring = MpscRing.create({ capacity: 16 * 1024, maxPayload: 4096 });
    const per = Math.ceil(STRESS_RECORDS / producers);
    const producing: Running<unknown>[] = [];
    for (let p = 0; p < producers; p++) {
      producing.push(start({ role: 'mpsc-producer', ring: ring.buffer, producer: p, records: per, maxPayload: ring.maxPayload }));
    }
    const consuming = start<ConsumerReport & { next: number[] }>({ role: 'mpsc-consumer', ring: ring.buffer, producers });
    await settle('MPSC producers', producing);
    ring.close(); // every push returned before this: the consumer drains them all, then sees 'closed'
    const [report] = await settle('MPSC consumer', [consuming]);
    assert.equal(report!.records, per * producers);
    assert.deepEqual(report!.next, new Array<number>(producers).fill(per));
    const stats = ring.stats();
    assert.equal(stats.consumer.records, per * producers);
    assert.equal(stats.producer.bytes, stats.consumer.bytes);
  });
}

const ROUNDS = 20_000;

for (const [kind, producers, consumers] of [['spmc', 1, 2], ['mpsc', 2, 1]] as const) {
  test(`${kind.toUpperCase()} lost wake-up hunt: ${ROUNDS} rounds of publish-one-then-pause with ${consumers} consumer(s) that sleep on every empty`, async () => {
    const ring = kind === 'spmc'
      ? SpmcRing.create({ capacity: 256 })
      : MpscRing.create({ capacity: 256 });
    const control = new SharedArrayBuffer(8);
    const running: Running<ConsumerReport | { done: true }>[] = [];
    for (let slot = 0; slot < consumers; slot++) {
      running.push(start({ role: 'pingpong-consumer', ring: ring.buffer, kind, control, slot }));
    }
    const producing: Running<unknown>[] = [];
    for (let p = 0; p < producers; p++) {
      producing.push(start({ role: 'pingpong-producer', ring: ring.buffer, kind, control, rounds: ROUNDS, producer: p, producers }));
    }
    await settle(`${kind} producers`, producing);
    ring.close();
    const reports = await settle(`${kind} consumers`, running) as ConsumerReport[];
    assert.equal(reports.reduce((n, r) => n + r.records, 0), ROUNDS);
    const stats = ring.stats();
    // The hunt only means something if consumers really went to sleep.
    assert.ok(stats.consumer.sleeps > ROUNDS / 4, `consumers slept ${stats.consumer.sleeps} times in ${ROUNDS} rounds`);
    assert.ok(stats.producer.notifies > 0);
  });
}

test('main-thread consumer drains through waitAsync while its timer keeps firing', async () => {
  const ring = MpscRing.create({ capacity: 1024 });
  const control = new SharedArrayBuffer(4);
  const ticks = new Int32Array(control);
  const RECORDS = 200;
  // The producer publishes record k only after this thread's timer fired k+1
  // times: if waiting for data blocked the event loop, nothing would arrive.
  const timer = setInterval(() => { Atomics.add(ticks, 0, 1); Atomics.notify(ticks, 0); }, 1);
  const producer = start<{ done: true }>({ role: 'tick-producer', ring: ring.buffer, control, records: RECORDS });
  try {
    const got: number[] = [];
    for (;;) {
      ring.drain((data, index) => { got.push(data[index]!); });
      if (await ring.whenData() === 'closed') break;
    }
    ring.drain((data, index) => { got.push(data[index]!); });
    assert.deepEqual(got, Array.from({ length: RECORDS }, (_, k) => k & 0xff));
    assert.ok(Atomics.load(ticks, 0) >= RECORDS);
    assert.ok(ring.stats().consumer.sleeps > 0, 'the main thread did wait');
    await settle('tick producer', [producer]);
  } finally {
    clearInterval(timer);
    await producer.worker.terminate();
  }
});
