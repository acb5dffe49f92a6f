import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as layout from '../src/layout.js';
import { createRequire } from 'node:module';
import {
  MpscRing, type MpscRingHandle, NativeMpscRing, NativeSpmcRing, RING_IMPLEMENTATIONS, type RingHandle, type RingImplementation, SpmcRing,
  type SpmcRingHandle, attachMpscRing, attachSpmcRing,
} from '../src/index.js';
import type { NativeAddon } from '../src/native/addon-types.js';
import { NATIVE_ADDON_PATH } from '../src/native/native-addon.js';
import { nativeTests } from './fixtures/native-gate.js';


// Single-thread checks of the C++ rings against the JavaScript ones. The
// strongest is differential: the same operations on a JavaScript ring and on
// a ring driven by C++ (or by a C++ producer and a JavaScript consumer, or
// the reverse) must give the same answers and leave the two buffers
// byte-identical, headers, cursors, zeroed space and counters included.

type Kind = 'SPMC' | 'MPSC';
type Handle = SpmcRingHandle | MpscRingHandle;

type Op =
  | { readonly op: 'push'; readonly bytes: Uint8Array }
  | { readonly op: 'pop' }
  | { readonly op: 'drain'; readonly max: number }
  | { readonly op: 'claim'; readonly payload: number; readonly commit: number }
  | { readonly op: 'unpublished'; readonly bytes: Uint8Array }
  | { readonly op: 'publish' };

const MAX_PAYLOAD = 120;

const opArb = (kind: Kind): fc.Arbitrary<Op> => fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 0, maxLength: MAX_PAYLOAD + 2 }).map((bytes): Op => ({ op: 'push', bytes })) },
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'pop' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((max): Op => ({ op: 'drain', max })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: MAX_PAYLOAD + 1 }), fc.integer({ min: 0, max: MAX_PAYLOAD + 1 }))
      .map(([payload, commit]): Op => ({ op: 'claim', payload, commit })),
  },
  ...(kind === 'SPMC' ? [
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes): Op => ({ op: 'unpublished', bytes })) },
    { weight: 1, arbitrary: fc.constant<Op>({ op: 'publish' }) },
  ] : []),
);

/** What an operation answered: a value, the bytes it delivered, or the error it threw. */
function outcome(run: () => unknown): string {
  try {
    return JSON.stringify(run());
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

function apply(kind: Kind, producer: Handle, consumer: Handle, o: Op): string {
  const got: number[][] = [];
  const collect = (data: Uint8Array, index: number, length: number): void => { got.push([...data.subarray(index, index + length)]); };
  switch (o.op) {
    case 'push':
      return outcome(() => producer.tryPush(o.bytes));
    case 'pop': {
      const dest = new Uint8Array(MAX_PAYLOAD);
      return outcome(() => { const n = consumer.tryPopInto(dest); return [n, [...dest.subarray(0, Math.max(0, n))]]; });
    }
    case 'drain':
      return outcome(() => [consumer.drain(collect, o.max), got]);
    case 'claim':
      return outcome(() => {
        const at = producer.tryClaim(o.payload);
        if (at < 0) return at;
        producer.data.fill(o.payload & 0xff, at, at + Math.min(o.payload, o.commit));
        // A commit longer than the claim throws, and leaves the claim open: commit it properly then.
        const bad = outcome(() => producer.commit(o.commit));
        if (o.commit > o.payload) producer.commit(o.payload);
        return [at, bad];
      });
    case 'unpublished':
      return outcome(() => {
        const spmc = producer as SpmcRingHandle;
        const at = spmc.tryClaim(o.bytes.length);
        if (at >= 0) { spmc.data.set(o.bytes, at); spmc.commit(o.bytes.length, false); }
        return at;
      });
    case 'publish':
      return outcome(() => (producer as SpmcRingHandle).publish());
    default: {
      const never: never = o;
      throw new Error(`this should not happen: ${JSON.stringify(never)}`);
    }
  }
}

function newBuffer(kind: Kind, capacity: number, initialPosition: number): SharedArrayBuffer {
  const options = { capacity, maxPayload: MAX_PAYLOAD, initialPosition };
  const slots = { producerSlot: 0, consumerSlot: 0 };
  return kind === 'SPMC' ? SpmcRing.create(options, slots).buffer : MpscRing.create(options, slots).buffer;
}

function attach(kind: Kind, impl: RingImplementation, buffer: SharedArrayBuffer, producerSlot: number, consumerSlot: number): Handle {
  const options = { producerSlot, consumerSlot };
  return kind === 'SPMC' ? attachSpmcRing(impl, buffer, options) : attachMpscRing(impl, buffer, options);
}

nativeTests('native-rings', (nativeTest) => {
  nativeTest('the addon was compiled with every constant of layout.ts', () => {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    const ours = layout as unknown as Readonly<Record<string, unknown>>;
    const names = Object.keys(addon.layout);
    assert.ok(names.length >= 40, `the addon exports ${names.length} constants`);
    for (const name of names) assert.equal(addon.layout[name], ours[name], name);
    // And every numeric constant of layout.ts is known to the addon.
    const missing = Object.keys(ours).filter((k) => typeof ours[k] === 'number' && !(k in addon.layout));
    assert.deepEqual(missing, []);
  });

  for (const kind of ['SPMC', 'MPSC'] as const) {
    for (const producerImpl of RING_IMPLEMENTATIONS) {
      for (const consumerImpl of RING_IMPLEMENTATIONS) {
        if (producerImpl === 'js' && consumerImpl === 'js') continue;
        nativeTest(`${kind}: ${producerImpl === 'js' ? 'JS' : 'C++'} producer and ${consumerImpl === 'js' ? 'JS' : 'C++'} consumer answer every operation sequence as the JS ring does and leave its buffer byte for byte`, () => {
          fc.assert(fc.property(
            fc.constantFrom(256, 512, 1024),
            fc.constantFrom(0, 2 ** 31 - 256, 2 ** 32 - 256, 8 * 1234567),
            fc.array(opArb(kind), { maxLength: 250 }),
            (capacity, start, ops) => {
              const reference = newBuffer(kind, capacity, start);
              const ref = attach(kind, 'js', reference, 0, 0);
              const shared = newBuffer(kind, capacity, start);
              // Separate producer and consumer handles on one buffer; each
              // side's counters land in slot 0, as the reference's do.
              const producer = attach(kind, producerImpl, shared, 0, 9);
              const consumer = attach(kind, consumerImpl, shared, 9, 0);
              ops.forEach((o, i) => {
                assert.equal(apply(kind, producer, consumer, o), apply(kind, ref, ref, o), `op ${i} ${o.op}`);
                assert.equal(consumer.hasData(), ref.hasData(), `hasData after op ${i}`);
                assert.equal(consumer.queuedBytes, ref.queuedBytes, `queuedBytes after op ${i}`);
              });
              assert.ok(Buffer.from(shared).equals(Buffer.from(reference)), 'the buffers differ');
            },
          ), { numRuns: 150 });
        });
      }
    }

    nativeTest(`${kind}: misuse throws the JS ring's errors, word for word`, () => {
      const js = kind === 'SPMC' ? SpmcRing.create({ capacity: 1024, maxPayload: 100 }) : MpscRing.create({ capacity: 1024, maxPayload: 100 });
      const native: Handle = kind === 'SPMC' ? NativeSpmcRing.create({ capacity: 1024, maxPayload: 100 }) : NativeMpscRing.create({ capacity: 1024, maxPayload: 100 });
      const misuses: [string, (r: RingHandle & { commit(n: number): void }) => unknown][] = [
        ['oversize claim', (r) => r.tryClaim(101)],
        ['negative claim', (r) => r.tryClaim(-1)],
        ['oversize push', (r) => r.tryPush(new Uint8Array(150))],
        ['commit without claim', (r) => r.commit(1)],
        ['small destination', (r) => r.tryPopInto(new Uint8Array(99))],
        ['oversize wait for space', (r) => r.waitForSpace(101, 0)],
        ['second claim', (r) => { r.tryClaim(5); return r.tryClaim(5); }],
        ['long commit', (r) => r.commit(6)],
      ];
      for (const [what, misuse] of misuses) {
        const want = outcome(() => misuse(js));
        assert.match(want, /Error: /, `${what}: the JS ring throws`);
        assert.equal(outcome(() => misuse(native)), want, what);
      }
    });

    nativeTest(`${kind}: a visitor that throws is handled as the JS ring handles it`, () => {
      const rings = [kind === 'SPMC' ? SpmcRing.create({ capacity: 1024 }) : MpscRing.create({ capacity: 1024 }),
        kind === 'SPMC' ? NativeSpmcRing.create({ capacity: 1024 }) : NativeMpscRing.create({ capacity: 1024 })];
      const answers = rings.map((ring) => {
        for (let i = 0; i < 5; i++) ring.tryPush(new Uint8Array([i]));
        const seen: number[] = [];
        const error = outcome(() => ring.drain((data, index) => {
          seen.push(data[index]!);
          if (data[index] === 1) throw new Error('visitor failed on record 1');
        }, 4));
        const rest: number[] = [];
        ring.drain((data, index) => { rest.push(data[index]!); }, 10);
        return { seen, error, rest, queued: ring.queuedBytes };
      });
      assert.deepEqual(answers[1], answers[0]);
      assert.equal(answers[0]!.error, 'Error: visitor failed on record 1');
    });

    nativeTest(`${kind}: a C++ drain called from inside its own visitor is refused, and the batch still completes`, () => {
      const ring = kind === 'SPMC' ? NativeSpmcRing.create({ capacity: 1024 }) : NativeMpscRing.create({ capacity: 1024 });
      ring.tryPush(new Uint8Array([1]));
      ring.tryPush(new Uint8Array([2]));
      assert.throws(() => ring.drain(() => ring.drain(() => undefined), 1), /called from inside a visitor/);
      const rest: number[] = [];
      ring.drain((data, index) => { rest.push(data[index]!); }, 10);
      assert.deepEqual(rest, [2]);
    });

    nativeTest(`${kind}: C++ handles refuse a buffer that is not a ring of their kind`, () => {
      const Native = kind === 'SPMC' ? NativeSpmcRing : NativeMpscRing;
      assert.throws(() => Native.attach(new ArrayBuffer(20000) as unknown as SharedArrayBuffer), /^TypeError: a ring lives in a SharedArrayBuffer$/);
      assert.throws(() => Native.attach(new SharedArrayBuffer(20000)), /bad magic or layout version/);
      assert.throws(() => Native.attach(new SharedArrayBuffer(100)), /bad magic or layout version/);
      const other = kind === 'SPMC' ? MpscRing.create({ capacity: 64 }) : SpmcRing.create({ capacity: 64 });
      assert.throws(() => Native.attach(other.buffer), /buffer holds a ring of kind/);
    });

    nativeTest(`${kind}: close from C++ refuses later pushes, delivers earlier ones, then reports closed`, () => {
      const ring = kind === 'SPMC' ? NativeSpmcRing.create({ capacity: 1024 }) : NativeMpscRing.create({ capacity: 1024 });
      const js = kind === 'SPMC' ? SpmcRing.attach(ring.buffer) : MpscRing.attach(ring.buffer);
      assert.equal(ring.tryPush(new Uint8Array([7])), true);
      ring.close();
      assert.equal(js.closed, true);
      assert.equal(ring.tryPush(new Uint8Array([8])), false);
      assert.equal(ring.tryClaim(1), -1);
      assert.equal(ring.waitForData(0), 'ok');
      assert.equal(ring.tryPopInto(new Uint8Array(ring.maxPayload)), 1);
      assert.equal(ring.waitForData(), 'closed');
      assert.equal(ring.waitForSpace(ring.maxPayload), kind === 'SPMC' ? 'ok' : 'ok');
    });
  }
});
