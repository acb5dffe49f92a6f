/**
 * Worker entry of the queue benchmark. One role per thread (workerData), then
 * one 'run' message per measured run. The timed loops live here; the main
 * thread only orchestrates, so it never competes for a core during a run.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import {
  MpscRing, type RecordVisitor, SpmcRing, type SpmcRingHandle, type WaitResult, attachMpscRing, attachSpmcRing,
} from '../src/index.js';
import { KIND_MPSC, KIND_SPMC } from '../src/layout.js';
import { nativeAddon } from '../src/native/native-addon.js';
import { acknowledge, awaitCredit, awaitStart, finishProducer } from './control.js';
import type { ConsumerReport, FromWorker, ProducerReport, Role, RunSpec, ToWorker, WorkerSetup } from './messages.js';
import { PRODUCER_WORD, SEQ_WORD, Tally, makeRecord, readInt32 } from './record-format.js';

const parent = parentPort;
if (parent === null) throw new Error('bench-worker.js is a worker entry; run queue-bench.js instead');
const { role } = workerData as WorkerSetup;
const ROLES: readonly Role[] = [
  'spmc-producer', 'spmc-consumer', 'mpsc-producer', 'mpsc-consumer',
  'port-producer', 'port-consumer', 'ring-echo', 'port-echo',
];
if (!ROLES.includes(role)) throw new Error(`unknown benchmark role ${JSON.stringify(role)}`);

/** SPMC consumers take up to this many records per CAS on READ. */
const SPMC_BATCH = 32;
/** The batched SPMC producer writes records up to this size as Int32 words. */
const WORD_COPY_MAX_BYTES = 128;

function send(msg: FromWorker): void {
  parent!.postMessage(msg);
}

const now = (): bigint => process.hrtime.bigint();

// ── ring roles ──────────────────────────────────────────────────────────────
// Each worker only ever sees one ring class, so these call sites stay
// monomorphic even though the functions are written once for both.

interface ProducerSide {
  tryPush(src: Uint8Array): boolean;
  waitForSpace(payload: number): WaitResult;
  close(): void;
}

interface ConsumerSide {
  readonly data: Uint8Array;
  readonly capacity: number;
  drain(visit: RecordVisitor, max?: number): number;
  waitForData(): WaitResult;
}

function produceToRing(ring: ProducerSide, spec: RunSpec): ProducerReport {
  const control = new Int32Array(spec.control);
  const { bytes, words } = makeRecord(spec.payload, spec.producerId);
  const n = spec.recordsPerProducer;
  send({ kind: 'ready' });
  awaitStart(control);
  const startNs = now();
  for (let seq = 0; seq < n; seq++) {
    words[SEQ_WORD] = seq;
    while (!ring.tryPush(bytes)) {
      if (ring.waitForSpace(spec.payload) === 'closed') {
        throw new Error(`ring closed under producer ${spec.producerId} at record ${seq} of ${n}`);
      }
    }
  }
  const endNs = now();
  // With several producers only the last one closes: a close() while another
  // is still pushing would refuse its remaining records.
  if (finishProducer(control)) ring.close();
  return { records: n, startNs, endNs };
}

/**
 * The SPMC producer's batched variant, all public API: claim, copy in place,
 * commit unpublished, and publish() every `publishEvery` records. It must
 * publish before it waits for space, or the consumer would sleep on records
 * it cannot see while the producer sleeps on space only they can free.
 */
function produceToSpmcBatched(ring: SpmcRingHandle, spec: RunSpec): ProducerReport {
  const control = new Int32Array(spec.control);
  const { bytes, words } = makeRecord(spec.payload, spec.producerId);
  const n = spec.recordsPerProducer;
  const every = spec.publishEvery;
  // Claim/commit exists so a producer can encode straight into the ring. This
  // one's record is 4-byte words (record-format.ts) and payloads start 8-byte
  // aligned, so a short record is written as Int32 words: for 64 bytes a
  // 16-store loop costs about a third of a TypedArray.set() call (a builtin
  // call, ~40 ns). From a few hundred bytes on, set()'s memcpy wins.
  const area = new Int32Array(ring.data.buffer, ring.data.byteOffset, ring.capacity >> 2);
  const data = ring.data;
  const recordWords = spec.payload <= WORD_COPY_MAX_BYTES ? spec.payload >> 2 : -1;
  send({ kind: 'ready' });
  awaitStart(control);
  const startNs = now();
  let pending = 0;
  for (let seq = 0; seq < n; seq++) {
    words[SEQ_WORD] = seq;
    let at = ring.tryClaim(spec.payload);
    while (at < 0) {
      ring.publish();
      pending = 0;
      if (ring.waitForSpace(spec.payload) === 'closed') {
        throw new Error(`ring closed under producer ${spec.producerId} at record ${seq} of ${n}`);
      }
      at = ring.tryClaim(spec.payload);
    }
    if (recordWords < 0) {
      data.set(bytes, at);
    } else {
      const first = at >> 2;
      for (let i = 0; i < recordWords; i++) area[first + i] = words[i]!;
    }
    if (++pending === every) {
      ring.commit(spec.payload, true);
      pending = 0;
    } else {
      ring.commit(spec.payload, false);
    }
  }
  ring.publish();
  const endNs = now();
  if (finishProducer(control)) ring.close();
  return { records: n, startNs, endNs };
}

/** `batch`: records per drain call (SPMC: per CAS on READ; MPSC: per release). */
function consumeFromRing(ring: ConsumerSide, spec: RunSpec, batch: number): ConsumerReport {
  // Records start 8-aligned in the area and the header is 8 bytes, so every
  // payload index is a multiple of 4: read the two words without copying.
  const words = new Int32Array(ring.data.buffer, ring.data.byteOffset, ring.capacity >> 2);
  const tally = new Tally(spec.producers, spec.payload);
  const visit: RecordVisitor = (_data, index, length) => {
    const w = index >> 2;
    tally.add(words[w + SEQ_WORD]!, words[w + PRODUCER_WORD]!, length);
  };
  send({ kind: 'ready' });
  for (;;) {
    if (ring.drain(visit, batch) > 0) continue;
    if (ring.waitForData() === 'closed') break;
  }
  return tally.report(now());
}

// ── the same loops in C++ (the *-cpp-loop rows) ────────────────────────────
// The timed loop is one call into native/src/bench-loops.cpp: the ring
// protocol and the per-record work run without crossing Node-API per record.

function produceInCpp(spec: RunSpec, kind: number): ProducerReport {
  const control = new Int32Array(spec.control);
  const words = new Int32Array(expectRing(spec));
  const loops = nativeAddon().benchLoops;
  send({ kind: 'ready' });
  awaitStart(control);
  const startNs = now();
  loops.produce(words, kind, spec.producerId, spec.recordsPerProducer, spec.payload);
  const endNs = now();
  if (finishProducer(control)) {
    (kind === KIND_SPMC ? attachSpmcRing('native', expectRing(spec)) : attachMpscRing('native', expectRing(spec))).close();
  }
  return { records: spec.recordsPerProducer, startNs, endNs };
}

function consumeInCpp(spec: RunSpec, kind: number): ConsumerReport {
  const words = new Int32Array(expectRing(spec));
  const loops = nativeAddon().benchLoops;
  send({ kind: 'ready' });
  const tally = loops.consume(words, kind, spec.producers, spec.payload, -1); // -1: a fresh stats slot
  return { ...tally, endNs: now() };
}

// ── postMessage roles (the baseline) ────────────────────────────────────────

function produceToPort(port: MessagePort, spec: RunSpec): ProducerReport {
  const control = new Int32Array(spec.control);
  const { bytes, words } = makeRecord(spec.payload, spec.producerId);
  const n = spec.recordsPerProducer;
  send({ kind: 'ready' });
  awaitStart(control);
  const startNs = now();
  if (spec.transfer) {
    for (let seq = 0; seq < n; seq++) {
      awaitCredit(control, seq, spec.window);
      words[SEQ_WORD] = seq;
      const fresh = bytes.slice(); // a new ArrayBuffer, filled, then given away
      port.postMessage(fresh, [fresh.buffer]);
    }
  } else {
    for (let seq = 0; seq < n; seq++) {
      awaitCredit(control, seq, spec.window);
      words[SEQ_WORD] = seq;
      port.postMessage(bytes); // structured clone: the receiver gets a copy
    }
  }
  const endNs = now();
  finishProducer(control);
  // The port stays open: the consumer closes the channel once it has counted
  // everything, so no queued message can be dropped by an early close.
  return { records: n, startNs, endNs };
}

function consumeFromPort(port: MessagePort, spec: RunSpec): void {
  const control = new Int32Array(spec.control);
  const tally = new Tally(spec.producers, spec.payload);
  const total = spec.producers * spec.recordsPerProducer;
  let sinceAck = 0;
  port.on('message', (msg: Uint8Array) => {
    tally.add(readInt32(msg, SEQ_WORD * 4), readInt32(msg, PRODUCER_WORD * 4), msg.length);
    if (++sinceAck === spec.ackEvery) {
      sinceAck = 0;
      acknowledge(control, tally.records);
    }
    if (tally.records === total) {
      const endNs = now();
      port.close();
      send({ kind: 'consumed', report: tally.report(endNs) });
    }
  });
  send({ kind: 'ready' });
}

// ── round-trip echo (latency) ───────────────────────────────────────────────

function echoRing(requestsBuffer: SharedArrayBuffer, repliesBuffer: SharedArrayBuffer): void {
  const requests = SpmcRing.attach(requestsBuffer);
  const replies = MpscRing.attach(repliesBuffer);
  let served = 0;
  const echo: RecordVisitor = (data, index, length) => {
    // One request in flight at a time, so the reply ring cannot be full.
    if (!replies.tryPush(data, index, index + length)) throw new Error(`reply ring full after ${served} echoes`);
    served += 1;
  };
  send({ kind: 'ready' });
  for (;;) {
    if (requests.drain(echo, 1) > 0) continue;
    if (requests.waitForData() === 'closed') break;
  }
  send({ kind: 'echo-done', served });
}

function echoPort(port: MessagePort): void {
  let served = 0;
  port.on('message', (msg: Uint8Array) => {
    port.postMessage(msg);
    served += 1;
  });
  port.on('close', () => send({ kind: 'echo-done', served }));
  send({ kind: 'ready' });
}

// ── dispatch ────────────────────────────────────────────────────────────────

function expectRing(spec: RunSpec): SharedArrayBuffer {
  if (spec.ring === null) throw new Error(`${role}: run without a ring`);
  return spec.ring;
}

function expectPort(spec: RunSpec): MessagePort {
  if (spec.port === null) throw new Error(`${role}: run without a port`);
  return spec.port;
}

function run(spec: RunSpec): void {
  if (spec.loop === 'cpp') {
    runInCpp(spec);
    return;
  }
  switch (role) {
    case 'spmc-producer': {
      const ring = attachSpmcRing(spec.impl, expectRing(spec));
      const report = spec.publishEvery > 1 ? produceToSpmcBatched(ring, spec) : produceToRing(ring, spec);
      send({ kind: 'produced', report });
      return;
    }
    case 'mpsc-producer':
      send({ kind: 'produced', report: produceToRing(attachMpscRing(spec.impl, expectRing(spec)), spec) });
      return;
    case 'spmc-consumer':
      send({ kind: 'consumed', report: consumeFromRing(attachSpmcRing(spec.impl, expectRing(spec)), spec, SPMC_BATCH) });
      return;
    case 'mpsc-consumer':
      send({ kind: 'consumed', report: consumeFromRing(attachMpscRing(spec.impl, expectRing(spec)), spec, Infinity) });
      return;
    case 'port-producer':
      send({ kind: 'produced', report: produceToPort(expectPort(spec), spec) });
      return;
    case 'port-consumer':
      consumeFromPort(expectPort(spec), spec); // reports from its message handler
      return;
    case 'ring-echo':
    case 'port-echo':
      throw new Error(`${role} does not take 'run' messages`);
    default: {
      const never: never = role;
      throw new Error(`this should not happen: role ${String(never)}`);
    }
  }
}

function runInCpp(spec: RunSpec): void {
  switch (role) {
    case 'spmc-producer':
      send({ kind: 'produced', report: produceInCpp(spec, KIND_SPMC) });
      return;
    case 'mpsc-producer':
      send({ kind: 'produced', report: produceInCpp(spec, KIND_MPSC) });
      return;
    case 'spmc-consumer':
      send({ kind: 'consumed', report: consumeInCpp(spec, KIND_SPMC) });
      return;
    case 'mpsc-consumer':
      send({ kind: 'consumed', report: consumeInCpp(spec, KIND_MPSC) });
      return;
    case 'port-producer':
    case 'port-consumer':
    case 'ring-echo':
    case 'port-echo':
      throw new Error(`${role} has no C++ loop`);
    default: {
      const never: never = role;
      throw new Error(`this should not happen: role ${String(never)}`);
    }
  }
}

parent.on('message', (msg: ToWorker) => {
  switch (msg.kind) {
    case 'run':
      run(msg.spec);
      return;
    case 'echo-ring':
      echoRing(msg.requests, msg.replies);
      return;
    case 'echo-port':
      echoPort(msg.port);
      return;
    case 'exit':
      parent.close(); // nothing else holds the loop open: the thread ends
      return;
    default: {
      const never: never = msg;
      throw new Error(`this should not happen: message ${JSON.stringify(never)}`);
    }
  }
});
