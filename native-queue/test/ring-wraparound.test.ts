import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MpscRing, SpmcRing } from '../src/index.js';

// Positions are 32-bit counters stored in Int32 words. Start them just below
// the two places where naive arithmetic breaks: 2^31 (the int32 sign flips)
// and 2^32 (the counter wraps to 0). Push enough traffic to cross each.
const STARTS = [
  ['2^31', 2 ** 31 - 200],
  ['2^32', 2 ** 32 - 200],
] as const;

for (const [name, start] of STARTS) {
  for (const kind of ['SPMC', 'MPSC'] as const) {
    test(`${kind}: cursors starting just below ${name} cross it with every record intact`, () => {
      const options = { capacity: 256, maxPayload: 100, initialPosition: start };
      const ring = kind === 'SPMC' ? SpmcRing.create(options) : MpscRing.create(options);
      const dest = new Uint8Array(ring.maxPayload);
      let next = 0;
      let expected = 0;
      // Keep the ring about half full so full/empty checks run on both sides of the crossing.
      for (let round = 0; round < 400; round++) {
        while (ring.tryPush(new Uint8Array((next % 90) + 1).fill(next & 0xff))) next++;
        assert.equal(ring.tryPush(new Uint8Array((next % 90) + 1)), false, 'a refused size stays refused');
        for (let k = 0; k < 2 && ring.hasData(); k++) {
          const n = ring.tryPopInto(dest);
          assert.equal(n, (expected % 90) + 1, `record ${expected}`);
          assert.equal(dest[0], expected & 0xff);
          expected++;
        }
      }
      while (ring.tryPopInto(dest) >= 0) expected++;
      assert.equal(expected, next, 'nothing lost or duplicated');
      assert.equal(ring.queuedBytes, 0);
      assert.ok(next * 8 > 2 * 200, 'traffic crossed the boundary');
    });
  }
}
