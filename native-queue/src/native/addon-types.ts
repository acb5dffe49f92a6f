/**
 * The shape of the compiled addon (native-queue/native/src/addon.cpp). Only
 * the wrappers in this folder call it: they add the JavaScript side of a
 * batch (visiting records) and of a non-blocking wait (Atomics.waitAsync).
 */

/** waitForData / waitForSpace answer with these codes (WaitResult in ring-core.hpp). */
export const WAIT_CODES = ['ok', 'timed-out', 'closed'] as const;

interface CommonBinding {
  tryClaim(payload: number): number;
  tryPush(src: Uint8Array, start: number, end: number): boolean;
  popInto(dest: Uint8Array): number;
  hasData(): boolean;
  isDrained(): boolean;
  hasSpaceFor(payload: number): boolean;
  waitForData(timeoutMs: number): number;
  waitForSpace(payload: number, timeoutMs: number): number;
  /** A SIGNAL value to waitAsync on (announced), or one of NativeAddon's async* codes. */
  beginAsyncSleep(space: boolean, payload: number): number;
  endAsyncSleep(space: boolean, slept: boolean): void;
  close(): void;
  closed(): boolean;
  queuedBytes(): number;
}

export interface SpmcBinding extends CommonBinding {
  commit(length: number, publish: boolean): void;
  publish(): void;
  /** Takes a batch with one CAS; the descriptor then holds index and length of each record. */
  take(max: number): number;
  /**
   * After every record of the batch was visited: marks the batch consumed (the
   * producer may reuse its bytes), wakes a producer waiting for space, and a
   * peer if records are left (wake chaining).
   */
  finish(): void;
}

export interface MpscBinding extends CommonBinding {
  commit(length: number): void;
  /** `first`: this take starts a drain (which stops after one capacity of bytes). */
  take(max: number, first: boolean): number;
  /** Frees the first `visited` records of the last take (all: everything it walked). */
  finish(visited: number): void;
  lastCommitEnd(): number;
  readPosition(): number;
}

/** What a C++ benchmark consumer counted: ConsumerReport of bench/messages.ts, without its time. */
export type BenchTally = Readonly<Record<'records' | 'bytes' | 'seqSum' | 'seqSquareSum' | 'orderErrors' | 'formatErrors', number>>;

/** The queue benchmark's loops in C++ (native/src/bench-loops.cpp): no Node-API call per record. */
export interface BenchLoops {
  produce(words: Int32Array, kind: number, producerId: number, records: number, payload: number): void;
  consume(words: Int32Array, kind: number, producers: number, payload: number, consumerSlot: number): BenchTally;
}

/** The futex syscall on a shared word: only for bench/futex-vs-atomics.ts. */
export interface RawFutex {
  /** 0 when woken, else -errno (-110: timed out). */
  wait(words: Int32Array, index: number, expected: number, timeoutMs: number): number;
  /** How many futex sleepers were woken. */
  wake(words: Int32Array, index: number, count: number): number;
}

export interface NativeAddon {
  attachSpmc(words: Int32Array, taken: Int32Array, producerSlot: number, consumerSlot: number, spin: number): SpmcBinding;
  attachMpsc(words: Int32Array, taken: Int32Array, producerSlot: number, consumerSlot: number, spin: number): MpscBinding;
  /** Every constant of layout.hpp, named as in layout.ts. */
  readonly layout: Readonly<Record<string, number>>;
  /** Records one take() can describe (the descriptor holds 2 int32 per record). */
  readonly maxTake: number;
  readonly asyncReady: number;
  readonly asyncClosed: number;
  readonly asyncAgain: number;
  readonly benchLoops: BenchLoops;
  readonly rawFutex: RawFutex;
}
