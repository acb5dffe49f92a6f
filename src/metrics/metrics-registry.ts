/**
 * /metrics: every figure is read at scrape time from where it is produced:
 * the rings' stats slots, the worker and writer counter blocks
 * (thread-counters.ts), the main thread's request counters. Nothing on the
 * request path calls prom-client. prom-client formats the text and adds its
 * default process metrics, including event-loop delay from
 * perf_hooks.monitorEventLoopDelay (nodejs_eventloop_lag_*_seconds).
 */
import { type Metric, Registry, collectDefaultMetrics } from 'prom-client';
import { type SideStats, readStats } from 'native-queue';
import { LISTENER_NAMES } from '../records.js';
import { LATENCY, OUTCOME_NAMES, type RequestMetrics } from './request-metrics.js';
import { type BucketSpec, type HistogramSnapshot, accumulate } from './shared-histogram.js';
import {
  W_BUSY_SECONDS, W_JOBS, W_QUEUE_WAIT, WR_BATCHES, WR_BATCH_SIZE, WR_BYTES, WR_FSYNC, WR_RECORDS, counterBlock,
} from './thread-counters.js';

export interface MetricsSource {
  readonly requests: RequestMetrics;
  /** Every ring by name; `job` must be among them. */
  readonly rings: readonly { readonly name: string; readonly buffer: SharedArrayBuffer }[];
  readonly threadCounters: SharedArrayBuffer;
  readonly workers: number;
  /** Times a flood past --max-connections closed the listeners (RefusalGate). */
  readonly listenerPauses: () => number;
}

/**
 * monitorEventLoopDelay samples with a timer of this period, which runs even
 * when the server is idle. prom-client's default, 10 ms, costs 0.47% of a
 * core on an idle process here (measured: 47 ms of CPU in 10 s); 20 ms costs
 * 0.27%, 50 ms 0.11%. The idle budget of the whole server is 0.2% of a
 * core (issue 7), so 50 ms: every stall of 50 ms or more is seen; a shorter
 * one is seen only if it overlaps the timer's due time (a 10 ms stall one
 * time in five), which still shows a loop that stalls often.
 */
const LOOP_DELAY_RESOLUTION_MS = 50;

type Labels = Record<string, string | number>;
interface Sample { readonly labels: Labels; readonly value: number; readonly metricName?: string }
type Kind = 'counter' | 'gauge' | 'histogram';

/**
 * A metric family computed when scraped. prom-client formats any registered
 * object with name, help, type and get() (its own metric classes are such
 * objects); its typings only list those classes, hence one cast in register().
 */
class ScrapedFamily {
  readonly aggregator = 'sum';
  constructor(readonly name: string, readonly help: string, readonly type: Kind, private readonly read: () => Sample[]) {}
  get(): Promise<{ name: string; help: string; type: Kind; aggregator: string; values: Sample[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() });
  }
  reset(): void { /* nothing kept: every scrape reads the source */ }
}

function histogramSamples(name: string, labels: Labels, spec: BucketSpec, h: HistogramSnapshot): Sample[] {
  const samples: Sample[] = spec.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: h.cumulative[i]! }));
  const count = h.cumulative[spec.bounds.length]!;
  samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
  samples.push({ metricName: `${name}_sum`, labels, value: h.sum });
  samples.push({ metricName: `${name}_count`, labels, value: count });
  return samples;
}

const RING_COUNTERS: readonly [string, keyof SideStats, string][] = [
  ['records', 'records', 'Records pushed (producer side) or taken (consumer side).'],
  ['bytes', 'bytes', 'Payload bytes of those records.'],
  ['full_events', 'fullEvents', 'Pushes refused because the ring was full (producer side).'],
  ['empty_polls', 'emptyPolls', 'Polls that found the ring empty (consumer side).'],
  ['sleeps', 'sleeps', 'Times a thread of this side slept in Atomics.wait or waitAsync.'],
  ['notifies', 'notifies', 'Atomics.notify calls made by this side to wake the other.'],
  ['spurious_wakeups', 'spuriousWakeups', 'Wake-ups that found nothing to do.'],
  ['cas_retries', 'casRetries', 'Lost compare-and-swap races between threads of this side.'],
];

export class Metrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  /** Busy seconds per worker at the previous scrape, for the busy ratio. */
  #lastBusy: number[];
  #lastScrape = performance.now();

  constructor(source: MetricsSource) {
    this.#source = source;
    this.#lastBusy = new Array<number>(source.workers).fill(0);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: LOOP_DELAY_RESOLUTION_MS });
    this.#defineRequests();
    this.#defineJobRing();
    this.#defineWorkers();
    this.#defineRings();
    this.#defineLog();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  #register(name: string, help: string, type: Kind, read: () => Sample[]): void {
    this.registry.registerMetric(new ScrapedFamily(name, help, type, read) as unknown as Metric);
  }

  #block(index: number): Float64Array {
    return counterBlock(this.#source.threadCounters, index);
  }

  #defineRequests(): void {
    const r = this.#source.requests;
    this.#register('ringpool_requests_total', 'Requests answered, by listener and outcome.', 'counter', () =>
      LISTENER_NAMES.flatMap((listener, l) => OUTCOME_NAMES.map((outcome, o) =>
        ({ labels: { listener, outcome }, value: r.answers[l * OUTCOME_NAMES.length + o]! }))));
    this.#register('ringpool_request_duration_seconds',
      'From the frame being complete (its last byte read) to its answer handed to the socket.', 'histogram', () =>
        LISTENER_NAMES.flatMap((listener, l) => histogramSamples('ringpool_request_duration_seconds', { listener }, LATENCY,
          accumulate(null, r.latency[l]!, LATENCY))));
    this.#register('ringpool_open_connections', 'Open client connections, by listener.', 'gauge', () =>
      LISTENER_NAMES.map((listener, l) => ({ labels: { listener }, value: r.openConnections[l]! })));
    this.#register('ringpool_listener_pauses_total',
      'Times refusals past --max-connections spent their budget and the listeners closed for the rest of the window.', 'counter',
      () => [{ labels: {}, value: this.#source.listenerPauses() }]);
  }

  #defineJobRing(): void {
    const job = this.#source.rings.find((ring) => ring.name === 'job');
    if (job === undefined) throw new Error('metrics: no ring named "job"');
    this.#register('ringpool_job_ring_queued_records', 'Jobs in the job ring, not yet taken by a worker.', 'gauge', () => {
      const s = readStats(job.buffer);
      return [{ labels: {}, value: Math.max(0, s.producer.records - s.consumer.records) }];
    });
    this.#register('ringpool_job_ring_queued_bytes', 'Bytes between the job ring\'s read and write cursors (headers and padding included).',
      'gauge', () => [{ labels: {}, value: readStats(job.buffer).queuedBytes }]);
    this.#register('ringpool_job_queue_wait_seconds', 'From a job entering the job ring to a worker taking it.', 'histogram', () => {
      let h: HistogramSnapshot | null = null;
      for (let w = 0; w < this.#source.workers; w++) h = accumulate(h, this.#block(w), W_QUEUE_WAIT);
      return histogramSamples('ringpool_job_queue_wait_seconds', {}, W_QUEUE_WAIT, h!);
    });
  }

  #defineWorkers(): void {
    const workers = Array.from({ length: this.#source.workers }, (_, w) => w);
    this.#register('ringpool_worker_jobs_total', 'Jobs a worker answered (a replaced worker continues its index\'s count).', 'counter',
      () => workers.map((worker) => ({ labels: { worker }, value: this.#block(worker)[W_JOBS]! })));
    this.#register('ringpool_worker_busy_seconds_total', 'Time a worker spent running jobs; rate() of it is the busy ratio.', 'counter',
      () => workers.map((worker) => ({ labels: { worker }, value: this.#block(worker)[W_BUSY_SECONDS]! })));
    this.#register('ringpool_worker_busy_ratio', 'Share of the time since the previous scrape a worker spent running jobs.', 'gauge', () => {
      const now = performance.now();
      const elapsed = (now - this.#lastScrape) / 1000;
      this.#lastScrape = now;
      return workers.map((worker) => {
        const busy = this.#block(worker)[W_BUSY_SECONDS]!;
        const ratio = elapsed > 0 ? Math.min(1, (busy - this.#lastBusy[worker]!) / elapsed) : 0;
        this.#lastBusy[worker] = busy;
        return { labels: { worker }, value: ratio };
      });
    });
  }

  #defineRings(): void {
    for (const [suffix, field, help] of RING_COUNTERS) {
      this.#register(`ringpool_ring_${suffix}_total`, `${help} By ring and side.`, 'counter', () =>
        this.#source.rings.flatMap(({ name, buffer }) => {
          const s = readStats(buffer);
          return [{ labels: { ring: name, side: 'producer' }, value: s.producer[field] },
            { labels: { ring: name, side: 'consumer' }, value: s.consumer[field] }];
        }));
    }
  }

  #defineLog(): void {
    const writer = (): Float64Array => this.#block(this.#source.workers);
    this.#register('ringpool_log_records_written_total', 'Log records the writer thread wrote to the OS.', 'counter',
      () => [{ labels: {}, value: writer()[WR_RECORDS]! }]);
    this.#register('ringpool_log_bytes_written_total', 'Log bytes the writer thread wrote to the OS.', 'counter',
      () => [{ labels: {}, value: writer()[WR_BYTES]! }]);
    this.#register('ringpool_log_write_batches_total', 'write() calls of the writer thread (one per batch).', 'counter',
      () => [{ labels: {}, value: writer()[WR_BATCHES]! }]);
    this.#register('ringpool_log_batch_records', 'Records per write batch (group commit follows the load).', 'histogram',
      () => histogramSamples('ringpool_log_batch_records', {}, WR_BATCH_SIZE, accumulate(null, writer(), WR_BATCH_SIZE)));
    this.#register('ringpool_log_fsync_seconds', 'fdatasync latency, one per batch (--ack fsync only).', 'histogram',
      () => histogramSamples('ringpool_log_fsync_seconds', {}, WR_FSYNC, accumulate(null, writer(), WR_FSYNC)));
  }
}
