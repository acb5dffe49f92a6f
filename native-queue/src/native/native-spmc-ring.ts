import { SpmcRing } from '../spmc-ring.js';
import type { RecordVisitor } from '../record-visitor.js';
import type { AttachOptions, CreateOptions } from '../ring-core.js';
import type { SpmcRingHandle } from '../ring-handles.js';
import type { SpmcBinding } from './addon-types.js';
import { NativeRingBase } from './native-ring-base.js';

/**
 * The job ring's algorithm (spmc-ring.ts) run by C++ (native/src/spmc-ring.cpp)
 * on the same buffer: it can share a ring with SpmcRing handles in other
 * threads, in either role. Throws "native queue unavailable: ..." when the
 * addon is not built (see nativeQueueStatus()).
 */
export class NativeSpmcRing extends NativeRingBase<SpmcBinding> implements SpmcRingHandle {
  /** A new ring (allocated by SpmcRing, the one place that lays a ring out), attached natively. */
  static create(options: CreateOptions, attach: AttachOptions = {}): NativeSpmcRing {
    return new NativeSpmcRing(SpmcRing.create(options, { producerSlot: 0, consumerSlot: 0 }).buffer, attach);
  }

  static attach(buffer: SharedArrayBuffer, options: AttachOptions = {}): NativeSpmcRing {
    return new NativeSpmcRing(buffer, options);
  }

  private constructor(buffer: SharedArrayBuffer, options: AttachOptions) {
    super(buffer, options, (addon, ...args) => addon.attachSpmc(...args));
  }

  commit(length: number, publish = true): void {
    this.native.commit(length, publish);
  }

  publish(): void {
    this.native.publish();
  }

  /**
   * As SpmcRing.drain: up to `max` records (here also at most the addon's
   * maxTake, 1024) taken with one CAS, each visited, then the batch
   * consumed-marked at once; a visitor that throws does not stop the batch,
   * the first error is rethrown after it.
   */
  drain(visit: RecordVisitor, max = 1): number {
    const native = this.native;
    const n = native.take(max);
    if (n === 0) return 0;
    const taken = this.taken;
    let failed = false;
    let error: unknown = null;
    for (let i = 0; i < n; i++) {
      try {
        visit(this.data, taken[2 * i]!, taken[2 * i + 1]!);
      } catch (e) {
        if (!failed) { failed = true; error = e; }
      }
    }
    native.finish(); // the consumed-mark: after it the producer may overwrite the bytes
    if (failed) throw error;
    return n;
  }
}
