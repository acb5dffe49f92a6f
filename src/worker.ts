/**
 * A worker thread: takes one job at a time from the job ring (sleeping in
 * Atomics.wait when it is empty), runs it, publishes its log record to the
 * writer, then its answer to the main thread. Log record first: the answer
 * carries the log record's ring position as a ticket, which the main thread
 * compares with the writer's watermark before acknowledging.
 */
import { workerData } from 'node:worker_threads';
import { type MpscRingHandle, attachMpscRing, attachSpmcRing, copyBytes } from 'native-queue';
import { type JobOutcome, errorAnswer, runJob } from './job/jobs.js';
import { type LogFields, formatLogRecord } from './log-format/log-fields.js';
import { observe } from './metrics/shared-histogram.js';
import { W_BUSY_SECONDS, W_ERRORS, W_JOBS, W_QUEUE_WAIT, counterBlock } from './metrics/thread-counters.js';
import {
  COMPLETION_HEADER_BYTES, CompletionType, type JobHeader, LISTENER_NAMES, STATUS_ERROR, STATUS_INTERNAL,
  STATUS_UNLOGGED, preciseNow, readJobHeader, ringView,
} from './records.js';
import { WORKER_STATE_STRIDE, WS_BUSY, WS_CONN_ID, WS_SEQ, type WorkerInit } from './thread-messages.js';

const init = workerData as WorkerInit;
// Consumers spin briefly before sleeping: under load the next job is usually
// microseconds away, and a futex round trip costs more than that.
const jobs = attachSpmcRing(init.queue, init.jobRing, { consumerSlot: init.index, spin: 200 });
const completions = attachMpscRing(init.queue, init.completionRing, { producerSlot: init.index });
const log = attachMpscRing(init.queue, init.logRing, { producerSlot: init.index });
const state = new Int32Array(init.workerState, init.index * WORKER_STATE_STRIDE * 4, WORKER_STATE_STRIDE);
const counters = counterBlock(init.threadCounters, init.index);

const scratch = new Uint8Array(jobs.maxPayload);
const scratchView = ringView(scratch);
const completionView = ringView(completions.data);
const completionBytes = Buffer.from(completions.data.buffer, completions.data.byteOffset, completions.data.byteLength);
const logBytes = Buffer.from(log.data.buffer, log.data.byteOffset, log.data.byteLength);

const job: JobHeader = { connId: 0, seq: 0, enqueuedAt: 0, port: 0, listener: 0, ip: '', messageStart: 0, messageLength: 0 };
let takenLength = -1;
const take = (data: Uint8Array, index: number, length: number): void => {
  copyBytes(data, index, scratch, 0, length);
  takenLength = length;
};

function run(message: Uint8Array): JobOutcome {
  if (init.allowFaultInjection && message.length === 9) {
    const text = Buffer.from(message).toString('latin1');
    // Test-only faults, behind --allow-fault-injection.
    if (text === '__crash__') process.exit(70);
    if (text === '__throw__') throw new Error('injected fault');
  }
  return runJob(init.job, message, init.jobWork);
}

/**
 * The log record, always whole: escaping can make a record several times
 * longer than its message (`\x01` is 4 bytes in the seed format, `\u0001` 6
 * in jsonl), so with --max-frame above ~170 KB it could exceed one log-ring
 * record, and a record cut to fit would lose its newline and swallow the next
 * one. Such a message is clipped in the log, and the record says so.
 */
function recordLine(fields: LogFields): string {
  const line = formatLogRecord(init.logFormat, fields);
  // A UTF-16 unit is at most 3 UTF-8 bytes: the usual record needs no byteLength.
  if (line.length * 3 <= log.maxPayload || Buffer.byteLength(line) <= log.maxPayload) return line;
  const message = fields.outcome.message;
  // No UTF-16 unit escapes to more than 8 bytes (`\u{2028}`); 4 KiB covers the other fields.
  let keep = Math.floor((log.maxPayload - 4096) / 8);
  const last = message.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--; // never split a surrogate pair
  const clipped = `${message.slice(0, keep)}… [${message.length - keep} more characters not logged]`;
  return formatLogRecord(init.logFormat, { ...fields, outcome: { ...fields.outcome, message: clipped } });
}

/** Claims room in an MPSC ring, sleeping while it is full; -1 once it is closed. */
function claim(ring: MpscRingHandle, bytes: number): number {
  for (;;) {
    const at = ring.tryClaim(bytes);
    if (at >= 0 || ring.closed) return at;
    ring.waitForSpace(bytes);
  }
}

for (;;) {
  takenLength = -1;
  if (jobs.drain(take, 1) === 0) {
    if (jobs.waitForData() === 'closed' && !jobs.hasData()) break;
    continue;
  }
  const takenAt = preciseNow();
  readJobHeader(scratchView, scratch, 0, takenLength, job);
  observe(counters, W_QUEUE_WAIT, Math.max(0, takenAt - job.enqueuedAt) / 1000);
  Atomics.store(state, WS_CONN_ID, job.connId);
  Atomics.store(state, WS_SEQ, job.seq);
  Atomics.store(state, WS_BUSY, 1);

  let outcome: JobOutcome;
  let status = 0;
  const message = scratch.subarray(job.messageStart, job.messageStart + job.messageLength);
  try {
    outcome = run(message);
  } catch {
    outcome = { ok: false, error: 'internal', message: Buffer.from(message).toString('utf8') };
    status = STATUS_INTERNAL;
  }
  const answer = outcome.ok ? outcome.answer : errorAnswer(outcome.error);
  const now = preciseNow();
  counters[W_BUSY_SECONDS]! += (now - takenAt) / 1000;

  const line = recordLine({
    timeMs: now,
    ip: job.ip,
    port: job.port,
    listener: LISTENER_NAMES[job.listener] ?? 'line',
    outcome,
    latencyUs: Math.max(0, Math.round((now - job.enqueuedAt) * 1000)),
    worker: init.index,
  });
  const lineBytes = Buffer.byteLength(line);
  if (!outcome.ok) status |= STATUS_ERROR;
  let ticket = 0;
  const logAt = claim(log, lineBytes);
  if (logAt >= 0) {
    log.commit(logBytes.write(line, logAt, lineBytes, 'utf8'));
    ticket = log.lastCommitEnd;
  } else {
    status |= STATUS_UNLOGGED; // the writer is gone; main answers ERR
  }

  const answerBytes = Buffer.byteLength(answer);
  const at = claim(completions, COMPLETION_HEADER_BYTES + answerBytes);
  if (at < 0) break; // the server is gone
  completionView.setUint8(at, CompletionType.JobDone);
  completionView.setUint8(at + 1, status);
  completionView.setUint16(at + 2, init.index, true);
  completionView.setUint32(at + 4, job.connId, true);
  completionView.setUint32(at + 8, job.seq, true);
  completionView.setInt32(at + 12, ticket, true);
  completionBytes.write(answer, at + COMPLETION_HEADER_BYTES, answerBytes, 'utf8');
  completions.commit(COMPLETION_HEADER_BYTES + answerBytes);

  Atomics.store(state, WS_BUSY, 0);
  counters[W_JOBS]! += 1;
  if (!outcome.ok) counters[W_ERRORS]! += 1;
}
