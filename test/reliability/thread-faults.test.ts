/** CI versions of worker-faults.ts and writer-faults.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWorkerFaults } from './worker-faults.js';
import { runWriterFault } from './writer-faults.js';

test('20 worker deaths under load: each answered ERR internal (worker died), every other request answered right and in order and logged once, nothing hangs', async (t) => {
  const r = await runWorkerFaults({ deaths: 20, every: 40 });
  t.diagnostic(r.summary);
  assert.deepEqual(r.violations, []);
  assert.equal(r.deaths, 20);
  assert.equal(r.replacementsLogged, 20);
  assert.equal(r.abandoned, 0);
});

for (const ack of ['written', 'fsync'] as const) {
  test(`ack ${ack}: the log's file size limit is reached under load (EFBIG): ERR log unavailable, no unlogged acknowledgement, new connections refused, exit 3 naming EFBIG`, async (t) => {
    const r = await runWriterFault({ fault: 'efbig', ack, limitKiB: 128 });
    t.diagnostic(r.summary);
    assert.deepEqual(r.violations, []);
    assert.equal(r.ran, true);
    assert.equal(r.exitCode, 3);
    assert.ok(r.acked > 0);
  });
}
