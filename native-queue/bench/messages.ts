import type { MessagePort } from 'node:worker_threads';
import type { RingImplementation } from '../src/index.js';

/**
 * The closed set of messages between the benchmark driver (main thread) and
 * its workers. Each worker has one role for its whole life, given at spawn
 * time through workerData, and then runs as many measured runs as asked.
 */
export type Role =
  | 'spmc-producer' | 'spmc-consumer'
  | 'mpsc-producer' | 'mpsc-consumer'
  | 'port-producer' | 'port-consumer'
  | 'ring-echo' | 'port-echo';

export interface WorkerSetup {
  readonly role: Role;
}

/** Everything one worker needs for one measured run. */
export interface RunSpec {
  /** See control.ts. */
  readonly control: SharedArrayBuffer;
  /** The ring under test (ring roles), else null. */
  readonly ring: SharedArrayBuffer | null;
  /** Ring roles: which language runs the ring's algorithm (JavaScript, or the C++ addon). */
  readonly impl: RingImplementation;
  /** Ring roles: the timed loop in JavaScript (calling the ring per record), or in C++ (bench-loops.cpp). */
  readonly loop: 'js' | 'cpp';
  /** One end of a fresh MessageChannel (port roles, transferred), else null. */
  readonly port: MessagePort | null;
  /** 0-based; written into every record so consumers can check per-producer order. */
  readonly producerId: number;
  readonly producers: number;
  /** Records each producer sends. */
  readonly recordsPerProducer: number;
  /** Payload bytes per record (>= 8: sequence number and producer id). */
  readonly payload: number;
  /**
   * SPMC producer: 1 = tryPush() per record (publish each). N > 1 = tryClaim(),
   * write in place, commit(length, false), and publish() every N records.
   */
  readonly publishEvery: number;
  /** Port producer: send a fresh ArrayBuffer per message and transfer it. */
  readonly transfer: boolean;
  /** Port producer: messages allowed in flight before it waits for credit. */
  readonly window: number;
  /** Port consumer: acknowledge every this many messages. */
  readonly ackEvery: number;
}

export type ToWorker =
  | { readonly kind: 'run'; readonly spec: RunSpec }
  | { readonly kind: 'echo-ring'; readonly requests: SharedArrayBuffer; readonly replies: SharedArrayBuffer }
  | { readonly kind: 'echo-port'; readonly port: MessagePort }
  | { readonly kind: 'exit' };

/** Times are process.hrtime.bigint(): one monotonic clock for every thread. */
export interface ProducerReport {
  readonly records: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

/** What a consumer saw, enough for the driver to prove nothing was lost. */
export interface ConsumerReport {
  readonly records: number;
  readonly bytes: number;
  /** Sum of all sequence numbers seen (exact: below 2^53 at these counts). */
  readonly seqSum: number;
  /** Sum of seq*seq modulo 2^32: catches a loss and a duplicate that cancel in seqSum. */
  readonly seqSquareSum: number;
  /** Records whose sequence number was not above the previous one from the same producer. */
  readonly orderErrors: number;
  /** Records with a payload length other than the one sent, or an unknown producer id. */
  readonly formatErrors: number;
  readonly endNs: bigint;
}

export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'produced'; readonly report: ProducerReport }
  | { readonly kind: 'consumed'; readonly report: ConsumerReport }
  | { readonly kind: 'echo-done'; readonly served: number };
