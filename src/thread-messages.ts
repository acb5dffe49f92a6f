/**
 * What threads tell each other outside the rings: start-up data and rare
 * control messages (postMessage is never used per request). Closed sets,
 * handled with exhaustive switches.
 */
import type { AckMode } from './config.js';
import type { JobName } from './job/jobs.js';
import type { LogFormat } from './log-format/log-fields.js';
import type { RingImplementation } from 'native-queue';

export interface WorkerInit {
  readonly index: number;
  readonly jobRing: SharedArrayBuffer;
  readonly completionRing: SharedArrayBuffer;
  readonly logRing: SharedArrayBuffer;
  readonly workerState: SharedArrayBuffer;
  /** Metrics counters (metrics/thread-counters.ts); this worker writes block `index`. */
  readonly threadCounters: SharedArrayBuffer;
  readonly job: JobName;
  readonly jobWork: number;
  readonly logFormat: LogFormat;
  readonly allowFaultInjection: boolean;
  /** Which language runs the rings in this thread (--queue). */
  readonly queue: RingImplementation;
}

export interface WriterInit {
  readonly logRing: SharedArrayBuffer;
  readonly completionRing: SharedArrayBuffer;
  /** Stats slot of the writer as a producer of the completion ring. */
  readonly completionSlot: number;
  /** Metrics counters (metrics/thread-counters.ts); the writer writes block `counterBlock`. */
  readonly threadCounters: SharedArrayBuffer;
  readonly counterBlock: number;
  readonly logFile: string;
  readonly ack: AckMode;
  /** Which language runs the rings in this thread (--queue). */
  readonly queue: RingImplementation;
}

/** main → writer; delivered with a zero-length nudge record in the log ring. */
export type ToWriter =
  | { readonly type: 'reopen' };

/** writer → main. */
export type FromWriter =
  | { readonly type: 'reopened'; readonly file: string }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'closed'; readonly records: number; readonly bytes: number };

/**
 * Per-worker state words, one 128-byte line per worker (the worker writes,
 * the main thread reads them when the worker dies; metrics live in
 * metrics/thread-counters.ts).
 * ```
 *  int32 index  word
 *  i*32 + 0     BUSY       1 while a job is taken and not yet answered
 *  i*32 + 1     CONN_ID    connection id of that job
 *  i*32 + 2     SEQ        its sequence number
 * ```
 */
export const WORKER_STATE_STRIDE = 32;
export const WS_BUSY = 0;
export const WS_CONN_ID = 1;
export const WS_SEQ = 2;
