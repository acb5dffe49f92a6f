import { CAPACITY, DATA_OFFSET, DATA_SIGNAL, MAX_PAYLOAD, SPACE_SIGNAL } from '../layout.js';
import type { RecordVisitor } from '../record-visitor.js';
import type { AttachOptions, WaitResult } from '../ring-core.js';
import { type RingStats, readStats } from '../stats.js';
import { type MpscBinding, type NativeAddon, type SpmcBinding, WAIT_CODES } from './addon-types.js';
import { nativeAddon } from './native-addon.js';

type Binding = SpmcBinding | MpscBinding;

function waitResult(code: number): WaitResult {
  const result = WAIT_CODES[code];
  if (result === undefined) throw new Error(`this should not happen: native wait answered ${code}`);
  return result;
}

/**
 * What NativeSpmcRing and NativeMpscRing share. Every step of the ring
 * protocol runs in C++ (native/src); this class only forwards calls, visits
 * the records a batch took (the visitor is JavaScript), and sleeps with
 * Atomics.waitAsync for whenData / whenSpace, which only JavaScript can.
 *
 * A handle belongs to the thread that attached it, like a JavaScript one.
 */
export abstract class NativeRingBase<B extends Binding> {
  readonly buffer: SharedArrayBuffer;
  readonly data: Uint8Array;
  readonly capacity: number;
  readonly maxPayload: number;
  protected readonly addon: NativeAddon;
  protected readonly native: B;
  /** Filled by take(): payload index and length of each record of the batch. */
  protected readonly taken: Int32Array;
  /** The whole buffer, for Atomics.waitAsync on the SIGNAL words. */
  readonly #words: Int32Array;

  protected constructor(
    buffer: SharedArrayBuffer, options: AttachOptions,
    attach: (addon: NativeAddon, words: Int32Array, taken: Int32Array, producerSlot: number, consumerSlot: number, spin: number) => B,
  ) {
    const addon = nativeAddon(); // throws "native queue unavailable: ..." without the addon
    if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError('a ring lives in a SharedArrayBuffer');
    this.addon = addon;
    this.#words = new Int32Array(buffer);
    this.taken = new Int32Array(2 * addon.maxTake);
    this.native = attach(addon, this.#words, this.taken, options.producerSlot ?? -1, options.consumerSlot ?? -1, options.spin ?? 64);
    this.buffer = buffer;
    this.capacity = this.#words[CAPACITY]!;
    this.maxPayload = this.#words[MAX_PAYLOAD]!;
    this.data = new Uint8Array(buffer, DATA_OFFSET, this.capacity);
  }

  get closed(): boolean {
    return this.native.closed();
  }

  get queuedBytes(): number {
    return this.native.queuedBytes();
  }

  tryClaim(payload: number): number {
    return this.native.tryClaim(payload);
  }

  tryPush(src: Uint8Array, start = 0, end = src.length): boolean {
    return this.native.tryPush(src, start, end);
  }

  tryPopInto(dest: Uint8Array): number {
    return this.native.popInto(dest);
  }

  hasData(): boolean {
    return this.native.hasData();
  }

  isDrained(): boolean {
    return this.native.isDrained();
  }

  hasSpaceFor(payload: number): boolean {
    return this.native.hasSpaceFor(payload);
  }

  /** Worker threads only: the C++ wait sleeps in Atomics.wait, which the main thread may not call. */
  waitForData(timeoutMs = Infinity): WaitResult {
    return waitResult(this.native.waitForData(timeoutMs));
  }

  waitForSpace(payload: number, timeoutMs = Infinity): WaitResult {
    return waitResult(this.native.waitForSpace(payload, timeoutMs));
  }

  whenData(): Promise<'ok' | 'closed'> {
    return this.#whenReady(false, 0, DATA_SIGNAL);
  }

  whenSpace(payload: number): Promise<'ok' | 'closed'> {
    return this.#whenReady(true, payload, SPACE_SIGNAL);
  }

  /**
   * C++ samples SIGNAL, announces this thread and re-checks; the sleeping is
   * an Atomics.waitAsync on the sampled value, on V8's waiter list where
   * wakers of either language notify (README.md, "Waking across languages").
   */
  async #whenReady(space: boolean, payload: number, signal: number): Promise<'ok' | 'closed'> {
    for (;;) {
      const step = this.native.beginAsyncSleep(space, payload);
      if (step === this.addon.asyncReady) return 'ok';
      if (step === this.addon.asyncClosed) return 'closed';
      if (step === this.addon.asyncAgain) continue;
      let slept = false;
      try {
        const armed = Atomics.waitAsync(this.#words, signal, step);
        if (armed.async) {
          slept = true;
          await armed.value;
        }
      } finally {
        this.native.endAsyncSleep(space, slept);
      }
    }
  }

  close(): void {
    this.native.close();
  }

  stats(): RingStats {
    return readStats(this.buffer);
  }

  abstract drain(visit: RecordVisitor, max?: number): number;
}
