/**
 * One streaming trial through the package's ring (ring-stream-thread.ts):
 * P producer threads and C consumer threads, every record checked (nothing
 * lost, duplicated or reordered per producer: bench/record-format.ts), the
 * ring's own counters read afterwards.
 */
import { verify } from '../bench/record-format.js';
import { runThreads } from './experiment-threads.js';
import { PACKAGE_STRIDE, importRings, layoutVariant } from './layout-variant.js';
import type { NotifyPolicy } from './notify-variants.js';
import type { StreamRing, StreamThreadData, StreamThreadResult } from './ring-stream-thread.js';
import { maxOrNull } from './thread-schedstat.js';

export interface StreamSpec {
  readonly ring: StreamRing;
  readonly producers: number;
  readonly consumers: number;
  readonly policy: NotifyPolicy;
  readonly spin: number;
  readonly capacity: number;
  readonly payload: number;
  readonly recordsPerProducer: number;
  readonly batch: number;
  /** Bytes between the WRITE and READ cursors; default 128, the package's layout (layout-variant.ts). */
  readonly cursorStride?: number;
}

export interface StreamTrial {
  readonly msgsPerS: number;
  /** All threads' CPU per record, nanoseconds (schedstat), null off Linux. */
  readonly cpuNsPerRecord: number | null;
  /** Per 1000 records, both sides summed. */
  readonly notifiesPerK: number;
  readonly sleepsPerK: number;
  readonly spuriousPerK: number;
  /** Producer pushes refused because the ring was full, per 1000 records. */
  readonly fullPerK: number;
  readonly runQueueWait: number | null;
}

const ENTRY = new URL('./ring-stream-thread.js', import.meta.url);

export async function streamTrial(s: StreamSpec): Promise<StreamTrial> {
  const cursorStride = s.cursorStride ?? PACKAGE_STRIDE;
  const dir = layoutVariant(cursorStride);
  const { SpmcRing, MpscRing } = await importRings(dir);
  const ring = s.ring === 'spmc' ? SpmcRing.create({ capacity: s.capacity }) : MpscRing.create({ capacity: s.capacity });
  const producersLeft = new SharedArrayBuffer(4);
  new Int32Array(producersLeft)[0] = s.producers;
  const base = {
    ring: s.ring, buffer: ring.buffer, policy: s.policy, cursorStride, variantDir: dir.href, spin: s.spin, producers: s.producers,
    recordsPerProducer: s.recordsPerProducer, payload: s.payload, batch: s.batch, producersLeft,
  };
  const data: StreamThreadData[] = [
    ...Array.from({ length: s.consumers }, (_, index) => ({ ...base, role: 'consumer' as const, index })),
    ...Array.from({ length: s.producers }, (_, index) => ({ ...base, role: 'producer' as const, index })),
  ];
  const label = `${s.ring} ${s.producers}p/${s.consumers}c notify ${s.policy} spin ${s.spin} stride ${cursorStride} capacity ${s.capacity}`;
  const results = await runThreads<StreamThreadData, StreamThreadResult>(ENTRY, data, label, 120_000);
  const consumers = results.filter((r) => r.role === 'consumer');
  verify(consumers.map((r) => r.report!), s.producers, s.recordsPerProducer, s.payload);
  const start = results.filter((r) => r.role === 'producer').reduce((a, r) => (r.startNs < a ? r.startNs : a), results[0]!.startNs);
  const end = consumers.reduce((a, r) => (r.endNs > a ? r.endNs : a), 0n);
  const records = s.producers * s.recordsPerProducer;
  const stats = ring.stats();
  const perK = (n: number): number => (n * 1000) / records;
  const cpu = results.every((r) => r.cpuNs !== null) ? results.reduce((a, r) => a + r.cpuNs!, 0) : null;
  return {
    msgsPerS: records / (Number(end - start) / 1e9),
    cpuNsPerRecord: cpu === null ? null : cpu / records,
    notifiesPerK: perK(stats.producer.notifies + stats.consumer.notifies),
    sleepsPerK: perK(stats.producer.sleeps + stats.consumer.sleeps),
    spuriousPerK: perK(stats.producer.spuriousWakeups + stats.consumer.spuriousWakeups),
    fullPerK: perK(stats.producer.fullEvents),
    runQueueWait: maxOrNull(...results.map((r) => r.runQueueWait)),
  };
}
