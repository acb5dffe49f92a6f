/**
 * The steal gate of the hostile-input script: which window the figures use,
 * chosen by steal alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_STEAL_GATE, measureWithinSteal } from './reliability/lib/steal-gate.js';

interface Window { readonly stealPct: number; readonly p99: number }

/** A measurement that returns the given windows in turn, and counts its calls. */
function windows(...ws: Window[]): { measure: () => Promise<Window>; calls: () => number } {
  let calls = 0;
  return {
    measure: () => {
      const w = ws[calls++];
      return w === undefined ? Promise.reject(new Error(`measured ${calls} times, ${ws.length} windows given`)) : Promise.resolve(w);
    },
    calls: () => calls,
  };
}

test('a window within the steal limit is used at once, without measuring again', async () => {
  const m = windows({ stealPct: 1.5, p99: 9000 }, { stealPct: 0, p99: 1000 });
  const g = await measureWithinSteal({ limitPct: 2, maxAttempts: 3 }, m.measure);
  assert.deepEqual(g, { used: { stealPct: 1.5, p99: 9000 }, attempts: [{ stealPct: 1.5, p99: 9000 }], withinLimit: true });
  assert.equal(m.calls(), 1);
});

test('a window over the steal limit is measured again, and the first within it is used even when a later one would have been faster', async () => {
  const m = windows({ stealPct: 17, p99: 13000 }, { stealPct: 0.9, p99: 3300 }, { stealPct: 0.1, p99: 2000 });
  const g = await measureWithinSteal({ limitPct: 2, maxAttempts: 3 }, m.measure);
  assert.deepEqual(g.used, { stealPct: 0.9, p99: 3300 });
  assert.deepEqual(g.attempts.map((w) => w.stealPct), [17, 0.9]);
  assert.equal(g.withinLimit, true);
  assert.equal(m.calls(), 2);
});

test('when no attempt is within the limit, the one with the least steal is used and marked over it, whatever its latency', async () => {
  const m = windows({ stealPct: 9, p99: 4000 }, { stealPct: 3, p99: 8000 }, { stealPct: 5, p99: 2000 });
  const g = await measureWithinSteal({ limitPct: 2, maxAttempts: 3 }, m.measure);
  assert.deepEqual(g.used, { stealPct: 3, p99: 8000 });
  assert.equal(g.attempts.length, 3);
  assert.equal(g.withinLimit, false);
  assert.equal(m.calls(), 3);
});

test('without a gate every window is used as it comes, however much steal it had', async () => {
  const m = windows({ stealPct: 35, p99: 20000 });
  const g = await measureWithinSteal(NO_STEAL_GATE, m.measure);
  assert.deepEqual(g, { used: { stealPct: 35, p99: 20000 }, attempts: [{ stealPct: 35, p99: 20000 }], withinLimit: true });
});

test('a gate with no attempts or a negative limit is refused before anything is measured', async () => {
  const m = windows({ stealPct: 0, p99: 1 });
  await assert.rejects(measureWithinSteal({ limitPct: 2, maxAttempts: 0 }, m.measure), /attempts must be a positive integer, got 0/u);
  await assert.rejects(measureWithinSteal({ limitPct: -1, maxAttempts: 2 }, m.measure), /steal limit must be a percentage >= 0, got -1/u);
  await assert.rejects(measureWithinSteal({ limitPct: Number.NaN, maxAttempts: 2 }, m.measure), /steal limit must be a percentage >= 0, got NaN/u);
  assert.equal(m.calls(), 0);
});
