import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MpscRing, SpmcRing, recordSize } from '../src/index.js';

// Model-based property test of record encoding and decoding: any sequence of
// pushes and pops on a ring behaves like an unbounded FIFO queue of byte
// strings, except that a push is refused exactly when the bytes it needs
// (header, alignment, and padding at the wrap) exceed the free space.
type Op = { readonly push: Uint8Array } | { readonly pop: true };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 120 }).map((push) => ({ push })),
  fc.constant({ pop: true as const }),
);

for (const kind of ['SPMC', 'MPSC'] as const) {
  test(`${kind}: any push/pop sequence matches a FIFO model byte for byte`, () => {
    fc.assert(fc.property(
      fc.constantFrom(256, 512, 1024),
      fc.integer({ min: -(2 ** 28), max: 2 ** 28 - 1 }).map((n) => n * 8), // any aligned start
      fc.array(op, { maxLength: 300 }),
      (capacity, start, ops) => {
        const options = { capacity, maxPayload: 120, initialPosition: start };
        const ring = kind === 'SPMC' ? SpmcRing.create(options) : MpscRing.create(options);
        const model: Uint8Array[] = [];
        const dest = new Uint8Array(120);
        let used = 0; // bytes the model says are occupied, headers included
        for (const o of ops) {
          if ('push' in o) {
            const accepted = ring.tryPush(o.push);
            if (accepted) {
              model.push(o.push);
              used += recordSize(o.push.length);
            } else {
              // Refusal is only allowed when even a contiguous fit is impossible:
              // the record plus worst-case padding exceeds what is free.
              assert.ok(capacity - used < 2 * recordSize(o.push.length),
                `refused ${o.push.length} bytes with ${capacity - used} free`);
            }
          } else {
            const n = ring.tryPopInto(dest);
            const want = model.shift();
            if (want === undefined) {
              assert.equal(n, -1);
            } else {
              assert.deepEqual(dest.subarray(0, n), want);
              used -= recordSize(want.length);
            }
          }
        }
      },
    ), { numRuns: 300 });
  });
}
