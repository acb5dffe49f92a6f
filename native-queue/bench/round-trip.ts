/**
 * Round-trip latency main -> worker -> main, one request in flight:
 *
 *   ring  main tryPush()es a record into an SpmcRing; the worker (parked in
 *         waitForData) copies it into an MpscRing; main, which never blocks,
 *         awaits replies.whenData() (Atomics.waitAsync) and drains it.
 *   port  main posts the same Uint8Array on a MessagePort; the worker posts
 *         it back from its 'message' handler; main awaits the reply event.
 *
 * Both are timed on the main thread with performance.now() around the whole
 * exchange, so each sample includes waking the sleeping worker and waking
 * the main thread's event loop.
 */
import { MessageChannel } from 'node:worker_threads';
import { MpscRing, type RecordVisitor, type RingStats, SpmcRing } from '../src/index.js';
import { SEQ_WORD, makeRecord, readInt32 } from './record-format.js';
import { WorkerHandle } from './worker-handle.js';

export interface Latency {
  readonly roundTrips: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

export interface RingLatency extends Latency {
  readonly requestStats: RingStats;
  readonly replyStats: RingStats;
}

const ECHO_CAPACITY = 1 << 16;

function summarize(samplesMs: Float64Array): Latency {
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000;
  let total = 0;
  for (const s of sorted) total += s;
  return {
    roundTrips: sorted.length, p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99),
    maxUs: sorted[sorted.length - 1]! * 1000, meanUs: (total / sorted.length) * 1000,
  };
}

export async function ringRoundTrip(payload: number, roundTrips: number, warmup: number): Promise<RingLatency> {
  const requests = SpmcRing.create({ capacity: ECHO_CAPACITY });
  const replies = MpscRing.create({ capacity: ECHO_CAPACITY });
  const worker = new WorkerHandle('ring-echo');
  try {
    worker.send({ kind: 'echo-ring', requests: requests.buffer, replies: replies.buffer });
    await worker.receive('ready');
    const { bytes, words } = makeRecord(payload, 0);
    let echoed = -1;
    const readReply: RecordVisitor = (data, index) => { echoed = readInt32(data, index + SEQ_WORD * 4); };
    const samples = new Float64Array(roundTrips);
    for (let i = -warmup; i < roundTrips; i++) {
      words[SEQ_WORD] = i;
      const t0 = performance.now();
      if (!requests.tryPush(bytes)) throw new Error(`request ring full at round trip ${i}`);
      while (replies.drain(readReply) === 0) {
        if (await replies.whenData() === 'closed') throw new Error('reply ring closed');
      }
      const t1 = performance.now();
      if (echoed !== i) throw new Error(`round trip ${i} came back as ${echoed}`);
      if (i >= 0) samples[i] = t1 - t0;
    }
    requests.close();
    const done = await worker.receive('echo-done');
    if (done.served !== warmup + roundTrips) {
      throw new Error(`echo worker served ${done.served}, expected ${warmup + roundTrips}`);
    }
    await worker.exit();
    return { ...summarize(samples), requestStats: requests.stats(), replyStats: replies.stats() };
  } catch (e) {
    await worker.terminate();
    throw e;
  }
}

export async function portRoundTrip(payload: number, roundTrips: number, warmup: number): Promise<Latency> {
  const worker = new WorkerHandle('port-echo');
  const { port1, port2 } = new MessageChannel();
  try {
    worker.send({ kind: 'echo-port', port: port2 }, [port2]);
    await worker.receive('ready');
    const { bytes, words } = makeRecord(payload, 0);
    let wake: ((reply: Uint8Array) => void) | null = null;
    port1.on('message', (reply: Uint8Array) => {
      const w = wake;
      wake = null;
      if (w === null) throw new Error('unsolicited reply on the echo port');
      w(reply);
    });
    const samples = new Float64Array(roundTrips);
    for (let i = -warmup; i < roundTrips; i++) {
      words[SEQ_WORD] = i;
      const t0 = performance.now();
      const reply = new Promise<Uint8Array>((resolve) => { wake = resolve; });
      port1.postMessage(bytes);
      const echoed = readInt32(await reply, SEQ_WORD * 4);
      const t1 = performance.now();
      if (echoed !== i) throw new Error(`round trip ${i} came back as ${echoed}`);
      if (i >= 0) samples[i] = t1 - t0;
    }
    port1.close();
    const done = await worker.receive('echo-done');
    if (done.served !== warmup + roundTrips) {
      throw new Error(`echo worker served ${done.served}, expected ${warmup + roundTrips}`);
    }
    await worker.exit();
    return summarize(samples);
  } catch (e) {
    port1.close();
    await worker.terminate();
    throw e;
  }
}
