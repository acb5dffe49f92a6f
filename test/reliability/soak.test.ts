/**
 * CI version of soak.ts: 30 seconds at a fixed rate. Drift is reported, not
 * asserted (30 s is mostly warm-up); what must hold even this short is.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runSoak, slope } from './soak.js';
import { tempDir } from './lib/report.js';

const dir = tempDir('soak-test');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('slope is the least-squares slope', () => {
  assert.equal(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2);
  assert.equal(slope([0, 1, 2], [4, 4, 4]), 0);
  assert.equal(slope([5], [1]), 0);
});

test('30 s at 1000 req/s: every answer right, the rate kept, a sample every second with RSS, fds, heap and loop delay, no descriptor leak, an HTML chart page', { timeout: 90_000 }, async (t) => {
  const html = path.join(dir, 'soak.html');
  const r = await runSoak({ seconds: 30, rate: 1000, html });
  t.diagnostic(r.summary);
  assert.deepEqual(r.violations, []);
  assert.ok(r.samples.length >= 28, `${r.samples.length} samples`);
  assert.ok(r.samples.every((s) => s.rssMiB > 0 && s.fds > 0 && s.heapUsedMiB > 0 && s.loopP99Ms >= 0));
  assert.equal(r.load.wrong + r.load.errors, 0);
  const page = fs.readFileSync(html, 'utf8');
  assert.equal((page.match(/<svg/gu) ?? []).length, 4);
});
