import { MpscRing } from '../mpsc-ring.js';
import type { RecordVisitor } from '../record-visitor.js';
import type { AttachOptions, CreateOptions } from '../ring-core.js';
import type { MpscRingHandle } from '../ring-handles.js';
import type { MpscBinding } from './addon-types.js';
import { NativeRingBase } from './native-ring-base.js';

/**
 * The completion and log rings' algorithm (mpsc-ring.ts) run by C++
 * (native/src/mpsc-ring.cpp) on the same buffer, interoperable with MpscRing
 * handles in other threads. Throws "native queue unavailable: ..." when the
 * addon is not built (see nativeQueueStatus()).
 */
export class NativeMpscRing extends NativeRingBase<MpscBinding> implements MpscRingHandle {
  static create(options: CreateOptions, attach: AttachOptions = {}): NativeMpscRing {
    return new NativeMpscRing(MpscRing.create(options, { producerSlot: 0, consumerSlot: 0 }).buffer, attach);
  }

  static attach(buffer: SharedArrayBuffer, options: AttachOptions = {}): NativeMpscRing {
    return new NativeMpscRing(buffer, options);
  }

  private constructor(buffer: SharedArrayBuffer, options: AttachOptions) {
    super(buffer, options, (addon, ...args) => addon.attachMpsc(...args));
  }

  commit(length: number): void {
    this.native.commit(length);
  }

  get lastCommitEnd(): number {
    return this.native.lastCommitEnd();
  }

  get readPosition(): number {
    return this.native.readPosition();
  }

  /**
   * As MpscRing.drain: committed records in claim order, up to `max`, at
   * most one capacity of bytes. C++ takes them in runs of up to maxTake
   * (1024) and frees each run after its visits. A visitor that throws counts
   * as delivered; the records after it stay in the ring and the error propagates.
   */
  drain(visit: RecordVisitor, max = Infinity): number {
    const native = this.native;
    const taken = this.taken;
    const room = this.addon.maxTake;
    let records = 0;
    for (let first = true; records < max; first = false) {
      const wanted = max - records;
      const n = native.take(wanted, first);
      if (n === 0) break;
      let i = 0;
      try {
        for (; i < n; i++) visit(this.data, taken[2 * i]!, taken[2 * i + 1]!);
      } finally {
        native.finish(i < n ? i + 1 : n);
      }
      records += n;
      if (n < Math.min(wanted, room)) break; // nothing more now, or one capacity drained
    }
    return records;
  }
}
