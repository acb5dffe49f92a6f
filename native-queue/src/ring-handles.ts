import type { RecordVisitor } from './record-visitor.js';
import type { WaitResult } from './ring-core.js';
import type { RingStats } from './stats.js';

/**
 * What a ring handle offers, whichever language runs the algorithm: the
 * JavaScript rings (SpmcRing, MpscRing) and their C++ twins (NativeSpmcRing,
 * NativeMpscRing) all satisfy these, on the same buffer layout, so code that
 * takes a handle can be given either, and both can share one ring.
 */
export interface RingHandle {
  readonly buffer: SharedArrayBuffer;
  /** The record area; tryClaim() returns indexes into it. */
  readonly data: Uint8Array;
  readonly capacity: number;
  readonly maxPayload: number;
  readonly closed: boolean;
  readonly queuedBytes: number;
  tryClaim(payload: number): number;
  tryPush(src: Uint8Array, start?: number, end?: number): boolean;
  drain(visit: RecordVisitor, max?: number): number;
  tryPopInto(dest: Uint8Array): number;
  hasData(): boolean;
  isDrained(): boolean;
  hasSpaceFor(payload: number): boolean;
  waitForData(timeoutMs?: number): WaitResult;
  waitForSpace(payload: number, timeoutMs?: number): WaitResult;
  whenData(): Promise<'ok' | 'closed'>;
  whenSpace(payload: number): Promise<'ok' | 'closed'>;
  close(): void;
  stats(): RingStats;
}

/** The job ring's handle: one producer (commit may defer publishing), any consumers. */
export interface SpmcRingHandle extends RingHandle {
  commit(length: number, publish?: boolean): void;
  publish(): void;
}

/** The completion and log rings' handle: any producers, one consumer. */
export interface MpscRingHandle extends RingHandle {
  commit(length: number): void;
  readonly lastCommitEnd: number;
  readonly readPosition: number;
}
