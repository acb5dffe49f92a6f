/**
 * Security: every listener binds 127.0.0.1 unless told otherwise (read back
 * from the kernel's socket table), log injection through a real server in
 * both formats (CI size of log-injection.ts), and every limit the server
 * has listed with its default in the README.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { usage } from '../../src/config.js';
import { PipelinedClient } from '../helpers/clients.js';
import { runLogInjection } from './log-injection.js';
import { listeningSockets } from './lib/proc.js';
import { tempDir } from './lib/report.js';
import { startRingpool } from './lib/ringpool.js';

const dir = tempDir('security');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('by default every listener (seed, line, binary, HTTP) is bound to 127.0.0.1 only; --host 0.0.0.0 shows in the same check', async () => {
  for (const [args, expected] of [[[], '127.0.0.1'], [['--host', '0.0.0.0'], '0.0.0.0']] as const) {
    const server = await startRingpool({ logFile: path.join(dir, `bind-${expected}.log`), http: true, args });
    try {
      const bound = listeningSockets(server.pid).map((s) => `${s.address}:${s.port}`).sort();
      const ports = Object.values(server.ports).sort((a, b) => a - b);
      assert.equal(ports.length, 4, JSON.stringify(server.ports));
      assert.deepEqual(bound, ports.map((p) => `${expected}:${p}`).sort());
    } finally {
      await server.stop('SIGKILL');
    }
  }
});

test('log injection: 300 hostile messages (CR, LF, |, backslash, ANSI/OSC escapes, C1, NUL, DEL, U+2028, forged records) over every listener give one exact record per request in both log formats', async (t) => {
  const r = await runLogInjection({ messages: 300 });
  t.diagnostic(`seed ${r.seed}: ${r.summary}`);
  assert.deepEqual(r.violations, []);
  assert.ok(r.perFormat.seed.lines > 300 && r.perFormat.jsonl.lines === r.perFormat.seed.lines);
});

test('a message line with an escape sequence reaches the log escaped, not raw (the smallest case, line protocol)', async () => {
  const logFile = path.join(dir, 'ansi.log');
  const server = await startRingpool({ logFile });
  try {
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    client.send(['a\x1b[31m|\\\rz']);
    assert.deepEqual(await client.next(1), ['1 no\n']);
    client.close();
    assert.equal((await server.stop('SIGTERM')).code, 0);
    assert.match(fs.readFileSync(logFile, 'utf8'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| 127\.0\.0\.1 \| a\\x1b\[31m\\\|\\\\\\rz \| 1 \| no\n$/u);
  } finally {
    await server.stop('SIGKILL');
  }
});

/** Bytes from a README cell: "65536 bytes", "1 MiB", "1024 per connection". */
function cellNumber(cell: string): number | null {
  const m = /(\d[\d,]*)\s*(KiB|MiB|GiB)?/u.exec(cell);
  if (m === null) return null;
  const unit = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] ?? ''] ?? 1;
  return Number(m[1]!.replaceAll(',', '')) * unit;
}

test('every limit the server has (--max-*, --*-timeout-ms, --*-bytes, --refusal*, --send-buffer) is in the README limits table with its real default', () => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const limits = [...usage().matchAll(/^ {2}--((?:max-[\w-]+)|(?:[\w-]+-timeout-ms)|(?:[\w-]+-bytes)|(?:refusal[\w-]+)|(?:send-buffer)) <(\d+)>/gmu)].map((m) => ({ flag: m[1]!, value: Number(m[2]) }));
  assert.ok(limits.length >= 10, `found only ${limits.map((l) => l.flag).join(', ')} in --help`);
  for (const { flag, value } of limits) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`--${flag}\``));
    assert.ok(row !== undefined, `the README has no limits row for --${flag}`);
    assert.equal(cellNumber(row.split('|')[2] ?? ''), value, `README default of --${flag}: ${row}`);
  }
});
