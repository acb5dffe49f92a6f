/**
 * Thread entry of the spin-budget ping-pong: two threads and two SpmcRings,
 * one request in flight. The 'ping' thread pushes a request and blocks in
 * waitForData on the reply ring; the 'pong' thread blocks in waitForData on
 * the request ring and echoes each request. Both use the same spin budget,
 * so a round trip avoids sleeping only when the other side answers within
 * that many re-checks.
 */
import { SpmcRing } from '../src/index.js';
import { serveThread } from './experiment-threads.js';
import { threadSchedstat, waitShare } from './thread-schedstat.js';

export interface PingPongData {
  readonly role: 'ping' | 'pong';
  readonly requests: SharedArrayBuffer;
  readonly replies: SharedArrayBuffer;
  readonly spin: number;
  readonly warmup: number;
  /** Ping: stop after this many measured round trips or `budgetMs`, whichever first. */
  readonly maxRoundTrips: number;
  readonly budgetMs: number;
}

export interface PingPongResult {
  /** Ping only: round-trip times in microseconds, in order. */
  readonly samplesUs: readonly number[];
  /** This thread's CPU during the measured round trips (schedstat), null off Linux. */
  readonly cpuNs: number | null;
  readonly wallNs: number;
  /** Share of the measured time this thread waited for a CPU (thread-schedstat.ts), null off Linux. */
  readonly runQueueWait: number | null;
}

function ping(d: PingPongData, start: () => void): PingPongResult {
  const requests = SpmcRing.attach(d.requests, { producerSlot: 0, consumerSlot: 0, spin: d.spin });
  const replies = SpmcRing.attach(d.replies, { producerSlot: 0, consumerSlot: 0, spin: d.spin });
  const message = new Int32Array(1);
  const bytes = new Uint8Array(message.buffer);
  const scratch = new Uint8Array(replies.maxPayload);
  const echoed = new Int32Array(scratch.buffer, 0, 1);
  const samples = new Float64Array(d.maxRoundTrips);
  start();
  let sched = threadSchedstat();
  let t0 = process.hrtime.bigint();
  let n = 0;
  let deadline = Infinity;
  for (let i = -d.warmup; i < d.maxRoundTrips; i++) {
    if (i === 0) {
      sched = threadSchedstat();
      t0 = process.hrtime.bigint();
      deadline = Number(t0) + d.budgetMs * 1e6;
    }
    message[0] = i;
    const sent = process.hrtime.bigint();
    if (!requests.tryPush(bytes)) throw new Error(`request ring full at round trip ${i}`);
    while (replies.tryPopInto(scratch) < 0) {
      if (replies.waitForData() === 'closed') throw new Error('reply ring closed');
    }
    const now = process.hrtime.bigint();
    if (echoed[0] !== i) throw new Error(`round trip ${i} came back as ${echoed[0]}`);
    if (i >= 0) {
      samples[n++] = Number(now - sent) / 1000;
      if (Number(now) > deadline) break;
    }
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const after = threadSchedstat();
  requests.close();
  return {
    samplesUs: Array.from(samples.subarray(0, n)), cpuNs: sched === null || after === null ? null : after.runNs - sched.runNs, wallNs,
    runQueueWait: waitShare(sched, after, wallNs),
  };
}

function pong(d: PingPongData, start: () => void): PingPongResult {
  const requests = SpmcRing.attach(d.requests, { producerSlot: 1, consumerSlot: 1, spin: d.spin });
  const replies = SpmcRing.attach(d.replies, { producerSlot: 1, consumerSlot: 1, spin: d.spin });
  const scratch = new Uint8Array(requests.maxPayload);
  start();
  const sched = threadSchedstat();
  const t0 = process.hrtime.bigint();
  for (;;) {
    const length = requests.tryPopInto(scratch);
    if (length >= 0) {
      if (!replies.tryPush(scratch, 0, length)) throw new Error('reply ring full');
      continue;
    }
    if (requests.waitForData() === 'closed') break;
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const after = threadSchedstat();
  return { samplesUs: [], cpuNs: sched === null || after === null ? null : after.runNs - sched.runNs, wallNs, runQueueWait: waitShare(sched, after, wallNs) };
}

serveThread<PingPongData, PingPongResult>((d, start) => (d.role === 'ping' ? ping(d, start) : pong(d, start)));
