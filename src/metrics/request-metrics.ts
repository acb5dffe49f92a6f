/**
 * Requests as the main thread sees them: answers by listener and outcome,
 * latency from "frame complete" to "answer handed to the socket", and open
 * connections. Plain numbers in typed arrays, bumped where the answer is
 * written; /metrics reads them at scrape time.
 */
import { LISTENER_NAMES, type ListenerCode } from '../records.js';
import { type BucketSpec, bucketSlots, observe } from './shared-histogram.js';

export const Outcome = {
  /** The job's answer. */
  Ok: 0,
  /** The job refused the message (empty, invalid UTF-8): an ERR answer. */
  Error: 1,
  /** The job failed or its worker died: ERR internal. */
  Internal: 2,
  /** The log writer failed before this request was logged: ERR log unavailable. */
  LogUnavailable: 3,
  /** Refused before any job ran: oversize or malformed frame, too many connections, draining. */
  Rejected: 4,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];
export const OUTCOME_NAMES = ['ok', 'error', 'internal', 'log_unavailable', 'rejected'] as const;

/** Request latency buckets, seconds. */
export const LATENCY: BucketSpec = {
  offset: 0,
  bounds: [25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5],
};

export class RequestMetrics {
  /** [listener * OUTCOME_NAMES.length + outcome] */
  readonly answers = new Float64Array(LISTENER_NAMES.length * OUTCOME_NAMES.length);
  readonly latency: readonly Float64Array[] = LISTENER_NAMES.map(() => new Float64Array(bucketSlots(LATENCY)));
  readonly openConnections = new Float64Array(LISTENER_NAMES.length);
  /** Every answer, all listeners: the drain summary's count. */
  total = 0;

  /** One answer written; `startedAt` is performance.now() when its frame was complete. */
  answered(listener: ListenerCode, outcome: Outcome, startedAt: number, now: number): void {
    this.answers[listener * OUTCOME_NAMES.length + outcome]! += 1;
    observe(this.latency[listener]!, LATENCY, (now - startedAt) / 1000);
    this.total++;
  }

  /** Refused before it became a request (too many connections): counted, not timed. */
  rejected(listener: ListenerCode): void {
    this.answers[listener * OUTCOME_NAMES.length + Outcome.Rejected]! += 1;
  }
}
