/** CI version of decoder-fuzz.ts: 5,000 generated cases per decoder. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FUZZ_TARGETS, runFuzz } from './decoder-fuzz.js';

test(`${FUZZ_TARGETS.map((t) => t.name).join(', ')}: 5,000 generated streams each decode exactly as the reference model, in any chunking`, (t) => {
  const r = runFuzz(5000);
  t.diagnostic(`seed ${r.seed}: ${r.summary}`);
  assert.deepEqual(r.violations, []);
  assert.ok(r.targets.every((target) => target.runs === 5000));
});
