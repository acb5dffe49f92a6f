import type { ConsumerReport } from './messages.js';

/**
 * Every benchmark record, whatever carries it, starts with two native-endian
 * int32 words; the rest of the payload is filler:
 *
 * ```
 *  +0  int32  SEQ       0, 1, 2, ... per producer
 *  +4  int32  PRODUCER  0 .. producers-1
 *  +8  filler (payload - 8 bytes)
 * ```
 *
 * Consumers read only these 8 bytes (ring consumers zero-copy, port consumers
 * from the clone they were handed), so the check costs the same everywhere.
 */
export const SEQ_WORD = 0;
export const PRODUCER_WORD = 1;
export const MIN_PAYLOAD = 8;

/**
 * Port consumers get a fresh Uint8Array per message; reading its first two
 * words byte by byte avoids allocating an Int32Array view per message, and
 * assumes a little-endian host (every platform this project targets; checked).
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error('the benchmark record format assumes a little-endian host');

/** The int32 at byte `i` of `bytes` (little-endian), without a view. */
export function readInt32(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/** A reusable record buffer for one producer; `setSeq` before each send. */
export function makeRecord(payload: number, producerId: number): { bytes: Uint8Array; words: Int32Array } {
  if (payload < MIN_PAYLOAD || payload % 4 !== 0) {
    throw new RangeError(`benchmark payload must be a multiple of 4 and >= ${MIN_PAYLOAD}, got ${payload}`);
  }
  const bytes = new Uint8Array(payload);
  for (let i = MIN_PAYLOAD; i < payload; i++) bytes[i] = i & 0xff;
  const words = new Int32Array(bytes.buffer);
  words[PRODUCER_WORD] = producerId;
  return { bytes, words };
}

/**
 * The consumer's running check. One instance per consumer thread per run;
 * `add` is on the hot path and allocates nothing.
 */
export class Tally {
  records = 0;
  bytes = 0;
  seqSum = 0;
  seqSquareSum = 0;
  orderErrors = 0;
  formatErrors = 0;
  readonly #last: Int32Array;
  readonly #payload: number;

  constructor(producers: number, payload: number) {
    this.#last = new Int32Array(producers).fill(-1);
    this.#payload = payload;
  }

  add(seq: number, producer: number, length: number): void {
    this.records += 1;
    this.bytes += length;
    if (length !== this.#payload || producer < 0 || producer >= this.#last.length) {
      this.formatErrors += 1;
      return;
    }
    if (seq <= this.#last[producer]!) this.orderErrors += 1;
    this.#last[producer] = seq;
    this.seqSum += seq;
    this.seqSquareSum = (this.seqSquareSum + Math.imul(seq, seq)) >>> 0;
  }

  report(endNs: bigint): ConsumerReport {
    return {
      records: this.records, bytes: this.bytes, seqSum: this.seqSum, seqSquareSum: this.seqSquareSum,
      orderErrors: this.orderErrors, formatErrors: this.formatErrors, endNs,
    };
  }
}

/**
 * What the consumers' reports must add up to when `producers` producers each
 * sent sequence numbers 0 .. n-1. Throws, naming every figure, otherwise.
 */
export function verify(reports: readonly ConsumerReport[], producers: number, n: number, payload: number): void {
  const sum = (f: (r: ConsumerReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const records = sum((r) => r.records);
  const bytes = sum((r) => r.bytes);
  const seqSum = sum((r) => r.seqSum);
  const squares = reports.reduce((a, r) => (a + r.seqSquareSum) >>> 0, 0);
  const orderErrors = sum((r) => r.orderErrors);
  const formatErrors = sum((r) => r.formatErrors);
  const N = BigInt(n);
  const P = BigInt(producers);
  const expectSeqSum = Number((P * N * (N - 1n)) / 2n);
  const expectSquares = Number(((P * (N - 1n) * N * (2n * N - 1n)) / 6n) % 2n ** 32n);
  const problems: string[] = [];
  if (records !== producers * n) problems.push(`records=${records}, expected ${producers * n}`);
  if (bytes !== producers * n * payload) problems.push(`bytes=${bytes}, expected ${producers * n * payload}`);
  if (seqSum !== expectSeqSum) problems.push(`seqSum=${seqSum}, expected ${expectSeqSum}`);
  if (squares !== expectSquares) problems.push(`seqSquareSum=${squares}, expected ${expectSquares}`);
  if (orderErrors !== 0) problems.push(`orderErrors=${orderErrors}`);
  if (formatErrors !== 0) problems.push(`formatErrors=${formatErrors}`);
  if (problems.length > 0) {
    throw new Error(`verification failed (${producers} producers x ${n} records of ${payload} B): ${problems.join(', ')}`);
  }
}
