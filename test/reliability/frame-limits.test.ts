/**
 * A frame as large as --max-frame allows is a normal request on every
 * listener: answered, and the server goes on.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, test } from 'node:test';
import { PipelinedClient } from '../helpers/clients.js';
import { type LogFormat, scanLog } from './lib/log-audit.js';
import { tempDir } from './lib/report.js';
import { startRingpool, tail } from './lib/ringpool.js';

const dir = tempDir('frame-limits');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Long answers and lines shortened, so a failure message stays readable. */
const brief = (s: string): string => (s.length > 80 ? `${s.slice(0, 40)}… (${s.length} chars) …${s.slice(-20)}` : s);

function post(port: number, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/jobs', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const maxFrame of [65536, 200_000]) {
  test(`--max-frame ${maxFrame}: a frame of exactly ${maxFrame} bytes is answered on the line, 4-byte binary and HTTP listeners, and the server goes on`, async () => {
    const server = await startRingpool({
      logFile: path.join(dir, `max-${maxFrame}.log`), http: true,
      args: ['--binary-prefix', '4', ...(maxFrame === 65536 ? [] : ['--max-frame', String(maxFrame)])],
    });
    try {
      const message = 'a'.repeat(maxFrame);
      const expected = `${maxFrame} no\n`; // neither 65536 nor 200000 is prime
      for (const framing of ['line', 'binary'] as const) {
        const client = await PipelinedClient.connect(server.ports[framing]!, framing, 4);
        client.send([message, 'abc1a']);
        assert.deepEqual((await client.next(2)).map(brief), [expected, '2 sí\n'], `${framing}: ${tail(server)}`);
        client.close();
      }
      assert.deepEqual(await post(server.ports['http']!, Buffer.from(message)), { status: 200, body: expected });
      const { code } = await server.stop('SIGTERM');
      assert.equal(code, 0, tail(server));
    } finally {
      await server.stop('SIGKILL');
    }
  });
}

for (const format of ['seed', 'jsonl'] as const satisfies readonly LogFormat[]) {
  test(`${format} log: a 400000-byte frame of control characters (escaped, over 1 MiB) still gives one whole record line, clipped and marked, and the next record its own line`, async () => {
    const logFile = path.join(dir, `clip-${format}.log`);
    const server = await startRingpool({ logFile, args: ['--binary-prefix', '4', '--max-frame', '400000', '--log-format', format] });
    try {
      const message = `a${'\x01'.repeat(399_998)}a`;
      const client = await PipelinedClient.connect(server.ports['binary']!, 'binary', 4);
      client.send([message, 'abc1a']);
      assert.deepEqual(await client.next(2), ['2 sí\n', '2 sí\n']);
      client.close();
      const { code } = await server.stop('SIGTERM');
      assert.equal(code, 0, tail(server));
      const scan = scanLog(logFile, format);
      assert.deepEqual([scan.malformed.map(brief), scan.tornTail === null ? null : brief(scan.tornTail), scan.records.length], [[], null, 2]);
      const big = scan.records.find((r) => r.message !== 'abc1a');
      assert.ok(big !== undefined && scan.records.some((r) => r.message === 'abc1a'));
      assert.equal(big.result, '2 sí');
      // eslint-disable-next-line no-control-regex -- the control character is what the message is made of
      assert.ok(/^a\x01+… \[\d+ more characters not logged\]$/u.test(big.message), brief(big.message));
      assert.ok(message.startsWith(big.message.slice(0, big.message.indexOf('…'))));
    } finally {
      await server.stop('SIGKILL');
    }
  });
}

test('--job echo answers a 200000-byte frame with the frame itself, and logs it once', async () => {
  const logFile = path.join(dir, 'echo.log');
  const server = await startRingpool({ logFile, args: ['--binary-prefix', '4', '--max-frame', '200000', '--job', 'echo'] });
  try {
    const message = 'b'.repeat(200_000);
    const client = await PipelinedClient.connect(server.ports['binary']!, 'binary', 4);
    client.send([message, 'abc1a']);
    assert.deepEqual((await client.next(2)).map(brief), [brief(`${message}\n`), 'abc1a\n']);
    client.close();
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0, tail(server));
    assert.deepEqual(scanLog(logFile, 'seed').records.map((r) => [r.message.length, r.result]).sort(), [[200_000, 'echo'], [5, 'echo']]);
  } finally {
    await server.stop('SIGKILL');
  }
});
