/**
 * CI version of hostile-input.ts: a phase with no attack (the control), each
 * attack alone, then all at once, 100 slow senders, 2 seconds a phase (the
 * flood's from when it has filled --max-connections).
 * Latency is a figure of the script, not asserted here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTACKS } from './hostile-clients.js';
import { CONTROL_PHASE, runHostileInput } from './hostile-input.js';

test('no attack, each hostile client alone, then all at once, against a live server: each attack is met as designed, the server stays up and within its memory bound, and the well-behaved client gets only right answers', { timeout: 180_000 }, async (t) => {
  const r = await runHostileInput({ slowSenders: 100, seconds: 2, warmupS: 0.5, phases: 'each' });
  t.diagnostic(r.summary);
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.phases.map((p) => p.name), [CONTROL_PHASE, ...ATTACKS, 'all at once']);
  for (const p of r.phases) {
    assert.ok(p.good.requests >= 700, `${p.name}: ${p.good.requests} requests`);
    assert.ok(p.rssMax <= r.rssBound);
    // Phases with the flood are measured once it has filled --max-connections.
    assert.equal(p.floodFillMs.length, p.name === 'flood' || p.name === 'all at once' ? 1 : 0, `${p.name}: fill times ${p.floodFillMs.join(', ')}`);
  }
});
