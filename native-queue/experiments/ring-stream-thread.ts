/**
 * Thread entry of the streaming trials (notify policy, spin budget, cursor
 * padding): one producer or consumer of the package's SpmcRing or MpscRing,
 * attached with a notify policy (notify-variants.ts) and a spin budget, or
 * of a layout variant of them (layout-variant.ts: the cursors moved). Producers push
 * self-checking records (bench/record-format.ts) flat out, blocking in
 * waitForSpace when full; consumers drain, blocking in waitForData when
 * empty, until the last producer closes the ring.
 */
import { workerData } from 'node:worker_threads';
import type { RecordVisitor } from '../src/index.js';
import { PRODUCER_WORD, SEQ_WORD, Tally, makeRecord } from '../bench/record-format.js';
import type { ConsumerReport } from '../bench/messages.js';
import { type ThreadSetup, serveThread } from './experiment-threads.js';
import { PACKAGE_STRIDE, importRings } from './layout-variant.js';
import { type NotifyPolicy, attachMpsc, attachSpmc } from './notify-variants.js';
import { threadSchedstat, waitShare } from './thread-schedstat.js';

export type StreamRole = 'producer' | 'consumer';
export type StreamRing = 'spmc' | 'mpsc';

export interface StreamThreadData {
  readonly ring: StreamRing;
  readonly role: StreamRole;
  readonly buffer: SharedArrayBuffer;
  readonly policy: NotifyPolicy;
  /**
   * Bytes between WRITE and READ: 128 is the package itself; anything else
   * loads the layout variant in `variantDir` (the policy must then be the
   * package's, 'when-sleeping').
   */
  readonly cursorStride: number;
  readonly variantDir: string | null;
  readonly spin: number;
  /** Stats slot and record tag of a producer; stats slot of a consumer. */
  readonly index: number;
  readonly producers: number;
  readonly recordsPerProducer: number;
  readonly payload: number;
  /** Records per drain call (SPMC: per CAS on READ). */
  readonly batch: number;
  /** One Int32 word: producers still pushing; the last one closes the ring. */
  readonly producersLeft: SharedArrayBuffer;
}

export interface StreamThreadResult {
  readonly role: StreamRole;
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** CPU time of this thread during the timed part (schedstat), null off Linux. */
  readonly cpuNs: number | null;
  readonly runQueueWait: number | null;
  /** Consumers only. */
  readonly report: ConsumerReport | null;
}

interface Ring {
  readonly data: Uint8Array;
  readonly capacity: number;
  tryPush(src: Uint8Array): boolean;
  waitForSpace(payload: number): 'ok' | 'timed-out' | 'closed';
  drain(visit: RecordVisitor, max?: number): number;
  waitForData(): 'ok' | 'timed-out' | 'closed';
  close(): void;
}

function produce(ring: Ring, d: StreamThreadData, start: () => void): StreamThreadResult {
  const { bytes, words } = makeRecord(d.payload, d.index);
  start();
  const sched = threadSchedstat();
  const startNs = process.hrtime.bigint();
  for (let seq = 0; seq < d.recordsPerProducer; seq++) {
    words[SEQ_WORD] = seq;
    while (!ring.tryPush(bytes)) {
      if (ring.waitForSpace(d.payload) === 'closed') throw new Error(`ring closed under producer ${d.index} at record ${seq}`);
    }
  }
  const endNs = process.hrtime.bigint();
  const after = threadSchedstat();
  if (Atomics.sub(new Int32Array(d.producersLeft), 0, 1) === 1) ring.close();
  return {
    role: 'producer', startNs, endNs, report: null,
    cpuNs: sched === null || after === null ? null : after.runNs - sched.runNs,
    runQueueWait: waitShare(sched, after, Number(endNs - startNs)),
  };
}

function consume(ring: Ring, d: StreamThreadData, start: () => void): StreamThreadResult {
  // Payload indexes are multiples of 4 (8-aligned records, 8-byte header).
  const words = new Int32Array(ring.data.buffer, ring.data.byteOffset, ring.capacity >> 2);
  const tally = new Tally(d.producers, d.payload);
  const visit: RecordVisitor = (_data, index, length) => {
    const w = index >> 2;
    tally.add(words[w + SEQ_WORD]!, words[w + PRODUCER_WORD]!, length);
  };
  start();
  const sched = threadSchedstat();
  const startNs = process.hrtime.bigint();
  for (;;) {
    if (ring.drain(visit, d.batch) > 0) continue;
    if (ring.waitForData() === 'closed') break;
  }
  const endNs = process.hrtime.bigint();
  const after = threadSchedstat();
  return {
    role: 'consumer', startNs, endNs, report: tally.report(endNs),
    cpuNs: sched === null || after === null ? null : after.runNs - sched.runNs,
    runQueueWait: waitShare(sched, after, Number(endNs - startNs)),
  };
}

// A layout variant is a separate copy of the package's modules: import it
// before serving (the thread body itself is synchronous).
const setup = (workerData as ThreadSetup<StreamThreadData>).data;
const variant = setup.cursorStride === PACKAGE_STRIDE || setup.variantDir === null ? null : await importRings(new URL(setup.variantDir));
if (variant !== null && setup.policy !== 'when-sleeping') {
  throw new Error(`a cursor layout variant runs the package's notify policy only, not "${setup.policy}"`);
}

serveThread<StreamThreadData, StreamThreadResult>((d, start) => {
  const options = d.role === 'producer' ? { producerSlot: d.index, spin: d.spin } : { consumerSlot: d.index, spin: d.spin };
  let ring: Ring;
  if (variant !== null) ring = d.ring === 'spmc' ? variant.SpmcRing.attach(d.buffer, options) : variant.MpscRing.attach(d.buffer, options);
  else ring = d.ring === 'spmc' ? attachSpmc(d.policy, d.buffer, options) : attachMpsc(d.policy, d.buffer, options);
  return d.role === 'producer' ? produce(ring, d, start) : consume(ring, d, start);
});
