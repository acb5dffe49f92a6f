/**
 * CI version of crash-durability.ts: three SIGKILLs per ack mode, and the
 * restart after a torn last line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ACK_MODES } from '../../src/config.js';
import { PipelinedClient } from '../helpers/clients.js';
import { runCrashTrials } from './crash-durability.js';
import { scanLog } from './lib/log-audit.js';
import { tempDir } from './lib/report.js';
import { startRingpool, tail } from './lib/ringpool.js';

const dir = tempDir('crash-test');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const ack of ACK_MODES) {
  test(`ack ${ack}: 3 SIGKILLs at random moments under load, restarted on the same log: `
    + `acknowledged ⊆ logged${ack === 'processed' ? ' measured' : ''}, logged ⊆ attempted, no duplicate`, async (t) => {
    const r = await runCrashTrials({ ack, trials: 3, dir, maxKillMs: 400 });
    t.diagnostic(`seed ${r.seed}: ${r.summary}`);
    assert.deepEqual(r.violations, []);
    assert.ok(r.trials.every((trial) => trial.acked >= 50), 'every crash came under load');
    if (ack !== 'processed') assert.equal(r.lost, 0);
  });
}

test('a restart after a crash that tore the last line keeps that line apart: the next record starts on its own line', async () => {
  // What a write cut short by a crash leaves: a record without its newline.
  const logFile = path.join(dir, 'torn.log');
  const torn = '2026-11-28 10:00:00 | 127.0.0.1 | cut short by a cra';
  fs.writeFileSync(logFile, torn);
  const server = await startRingpool({ logFile });
  try {
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    client.send(['abc1a']);
    assert.deepEqual(await client.next(1), ['2 sí\n']);
    client.close();
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0, tail(server));
    const scan = scanLog(logFile, 'seed');
    assert.deepEqual(scan.malformed, [torn], 'the torn line stays a line of its own');
    assert.deepEqual(scan.records, [{ message: 'abc1a', result: '2 sí' }]);
    assert.equal(scan.tornTail, null);
  } finally {
    await server.stop('SIGKILL');
  }
});
