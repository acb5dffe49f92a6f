/**
 * Integration: the server with --queue native, where the workers and the
 * writer run the C++ rings (native-queue/native) and the main thread the
 * JavaScript ones, on the same buffers: every ring is mixed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeQueueStatus } from 'native-queue';
import { startServer } from '../profiling/server-process.js';
import { PipelinedClient, expectedAnswer, seedRequest } from './helpers/clients.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-native-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const status = nativeQueueStatus();
const REQUIRE_NATIVE = process.env.RINGPOOL_REQUIRE_NATIVE === '1';

/** Messages of 1 B to ~1 KiB whose answers differ: the small job ring below wraps and fills often. */
function message(i: number): string {
  const last = String.fromCodePoint(0x61 + (i % 26));
  return `${'x'.repeat((i * 37) % 1000)}${last.repeat(1 + (i % 7))}`;
}

if (status.available || REQUIRE_NATIVE) {
  test('server --queue native: workers and writer on the C++ rings answer seed and pipelined line clients in order, log every request, and drain cleanly', async (t) => {
    assert.ok(status.available, `RINGPOOL_REQUIRE_NATIVE=1: native queue unavailable: ${status.available ? '' : status.reason}`);
    const logFile = path.join(tmp, 'native.log');
    const server = await startServer(['node', MAIN, '--queue', 'native', '--workers', '2', '--seed-port', '0', '--line-port', '0',
      '--binary-port', 'off', '--job-ring-bytes', '8192', '--max-frame', '1500', '--log-file', logFile]);
    t.after(() => server.child.kill('SIGKILL'));
    assert.ok(server.stderrLines.some((l) => l.includes('"queue":"native"')), 'the configuration says --queue native');

    const seeds = await Promise.all(Array.from({ length: 20 }, (_, i) => seedRequest(server.ports['seed']!, `abc${i + 1}a`)));
    for (const r of seeds) assert.equal(r.answer, '2 sí\n');

    const LINES = 3000;
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    const messages = Array.from({ length: LINES }, (_, i) => message(i));
    client.send(messages);
    const answers = await client.next(LINES);
    assert.deepEqual(answers, messages.map(expectedAnswer));
    client.close();

    const { code, signal } = await server.stop('SIGTERM');
    assert.equal(signal, null);
    assert.equal(code, 0, server.stderrLines.slice(-5).join('\n'));
    const records = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.length > 0);
    assert.equal(records.length, 20 + LINES);
  });
} else {
  test('server --queue native without the C++ addon: refuses at start with the reason (the native server path did NOT run; npm run build:native)', (t) => {
    const run = spawnSync('node', [MAIN, '--queue', 'native', '--seed-port', '0', '--line-port', '0', '--binary-port', '0',
      '--log-file', path.join(tmp, 'never.log')], { encoding: 'utf8', env: { ...process.env, RINGPOOL_HTTP_PORT: 'off' }, timeout: 15_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /--queue native: native queue unavailable: the addon is not built/);
    t.diagnostic(`did not run: the server with --queue native (${status.reason})`);
  });
}
