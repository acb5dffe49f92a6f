/**
 * The records that travel through the rings between threads. Every format is
 * little-endian and written in place into the ring (claim, encode, commit),
 * so the hot path allocates no intermediate buffer.
 *
 * Job ring (main → workers), one record per request:
 * ```
 *  offset  size  field
 *  0       4     connection id     (slot | generation << 16; see connections.ts)
 *  4       4     sequence number   (per connection, request order)
 *  8       8     enqueued at       (ms since the epoch, float; latency and queue wait)
 *  16      2     client port
 *  18      1     listener          (ListenerCode)
 *  19      1     ip length         (bytes of the ASCII address that follows)
 *  20      n     client ip
 *  20+n    ...   message bytes     (the frame, as received: workers decode it)
 * ```
 *
 * Completion ring (workers and writer → main):
 * ```
 *  JOB_DONE                       WATERMARK (writer)            WRITER_FAILED (writer)
 *  0   1  type = 1                0  1  type = 2                 0  1  type = 3
 *  1   1  status bits (below)     4  4  written position         4  .. UTF-8 reason
 *  2   2  worker index            8  4  durable position
 *  4   4  connection id
 *  8   4  sequence number
 *  12  4  log ticket (log ring position after this request's log record)
 *  16  .. answer bytes (UTF-8, exactly what goes on the wire after framing)
 *
 *  status bits: 1 error (an ERR answer), 2 unlogged, 4 internal (the job threw)
 * ```
 *
 * Log ring (workers → writer): one record = one finished log line in UTF-8,
 * newline included. A zero-length record is a nudge: "check your control
 * port" (SIGHUP reopen, shutdown), so the writer can sleep in Atomics.wait and
 * still hear control messages.
 */

export const JOB_HEADER_BYTES = 20;
export const MAX_IP_BYTES = 45; // the longest textual IPv6 address

export const ListenerCode = { Seed: 0, Line: 1, Binary: 2, Http: 3 } as const;
export type ListenerCode = (typeof ListenerCode)[keyof typeof ListenerCode];
export const LISTENER_NAMES = ['seed', 'line', 'binary', 'http'] as const;
export type ListenerName = (typeof LISTENER_NAMES)[number];

export const CompletionType = { JobDone: 1, Watermark: 2, WriterFailed: 3 } as const;
export type CompletionType = (typeof CompletionType)[keyof typeof CompletionType];
export const COMPLETION_HEADER_BYTES = 16;
/** JOB_DONE status bits. */
export const STATUS_ERROR = 1;
/** The log ring was closed (the writer failed): this answer has no log record. */
export const STATUS_UNLOGGED = 2;
/** The job threw (a bug, or injected): the answer is ERR internal. */
export const STATUS_INTERNAL = 4;
/** A ticket no watermark ever reaches (main-thread only, never on the wire). */
export const NEVER_DURABLE = -2;
export const WATERMARK_BYTES = 12;

/**
 * The clock of the job record's "enqueued at": ms since the epoch with
 * sub-millisecond resolution (Date.now() has whole ms, too coarse for queue
 * waits of microseconds). Each thread has its own timeOrigin, mapped to the
 * same wall clock, so differences across threads are good to a few µs;
 * readers clamp them at 0.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Reused by a thread for all its reads and writes of one ring's area. */
export function ringView(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

export interface JobHeader {
  connId: number;
  seq: number;
  enqueuedAt: number;
  port: number;
  listener: ListenerCode;
  ip: string;
  messageStart: number;
  messageLength: number;
}

/** Decodes a job record's header into `out` (reused, no allocation but the ip string). */
export function readJobHeader(view: DataView, bytes: Uint8Array, at: number, length: number, out: JobHeader): void {
  out.connId = view.getUint32(at, true);
  out.seq = view.getUint32(at + 4, true);
  out.enqueuedAt = view.getFloat64(at + 8, true);
  out.port = view.getUint16(at + 16, true);
  out.listener = view.getUint8(at + 18) as ListenerCode;
  const ipLength = view.getUint8(at + 19);
  out.ip = latin1(bytes, at + JOB_HEADER_BYTES, ipLength);
  out.messageStart = at + JOB_HEADER_BYTES + ipLength;
  out.messageLength = length - JOB_HEADER_BYTES - ipLength;
}

function latin1(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[start + i]!);
  return s;
}
