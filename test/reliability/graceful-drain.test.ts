/** CI version of graceful-drain.ts: one SIGTERM under load per ack mode. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDrainTrials } from './graceful-drain.js';

test('SIGTERM at a random moment under load, once per ack mode: every accepted request answered and logged, exit 0 within the deadline, /healthz never 200 while draining', async (t) => {
  const r = await runDrainTrials({ trials: 3, maxTermMs: 400, deadlineMs: 10_000 });
  t.diagnostic(`seed ${r.seed}: ${r.summary}`);
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.trials.map((trial) => trial.ack), ['processed', 'written', 'fsync']);
  assert.ok(r.trials.every((trial) => trial.acked >= 50 && trial.exit === '0'));
});
