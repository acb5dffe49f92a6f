/**
 * Integration: the real server as a child process, driven over raw sockets.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ServerProcess, rssBytes, startServer } from '../profiling/server-process.js';
import { PipelinedClient, expectedAnswer, seedRequest } from './helpers/clients.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let logCounter = 0;
function freshLog(): string {
  return path.join(tmp, `log-${++logCounter}.txt`);
}

async function ringpool(extra: readonly string[] = [], logFile = freshLog()): Promise<ServerProcess & { logFile: string }> {
  const server = await startServer(['node', MAIN, '--seed-port', '0', '--line-port', '0', '--binary-port', '0',
    '--workers', '2', '--log-file', logFile, ...extra]);
  return Object.assign(server, { logFile });
}

/** Stops with SIGTERM and asserts the clean exit the drain promises. */
async function stopCleanly(server: ServerProcess): Promise<void> {
  const { code, signal } = await server.stop('SIGTERM');
  assert.equal(signal, null, `server died of ${signal}: ${server.stderrLines.slice(-5).join('\n')}`);
  assert.equal(code, 0, server.stderrLines.slice(-5).join('\n'));
}

function logLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

const SEED_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| 127\.0\.0\.1 \| (.*) \| (\d+|-) \| (sí|no|ERR .*)$/u;

test('seed protocol: 50 concurrent clients of the original JMeter plan each get "2 sí" and a half-close', async (t) => {
  const server = await ringpool();
  t.after(() => server.child.kill('SIGKILL'));
  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => seedRequest(server.ports['seed']!, `abc${i + 1}a`)));
  for (const r of replies) {
    assert.equal(r.answer, '2 sí\n');
    assert.equal(r.halfClosed, true);
  }
  await stopCleanly(server);
  const lines = logLines(server.logFile);
  assert.equal(lines.length, 50);
  const messages = lines.map((l) => {
    const m = SEED_LINE.exec(l);
    assert.ok(m, `malformed record: ${l}`);
    assert.equal(m[2], '2');
    assert.equal(m[3], 'sí');
    return m[1];
  }).sort();
  assert.deepEqual(messages, Array.from({ length: 50 }, (_, i) => `abc${i + 1}a`).sort());
});

test('seed protocol: the message ends at the first newline and bad input gets an ERR line', async (t) => {
  const server = await ringpool();
  t.after(() => server.child.kill('SIGKILL'));
  const port = server.ports['seed']!;
  assert.equal((await seedRequest(port, 'xx\nignored')).answer, '2 sí\n');
  assert.equal((await seedRequest(port, '   \t ')).answer, 'ERR empty message\n');
  assert.equal((await seedRequest(port, Buffer.from([0x61, 0xff, 0x62]))).answer, 'ERR invalid UTF-8\n');
  // U+1F600 and U+10600 share their low surrogate: counting UTF-16 units would say 3.
  assert.equal((await seedRequest(port, '\u{1F600}\u{10600}\u{1F600}')).answer, '2 sí\n');
  await stopCleanly(server);
});

test('seed protocol: a client that sends nothing is closed without an answer, as the original does', async (t) => {
  const server = await ringpool(['--seed-timeout-ms', '200']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['seed']!, 'line');
  await client.closed; // only the server's timeout can close it
  assert.deepEqual(await client.next(1), []);
  await stopCleanly(server);
  assert.equal(logLines(server.logFile).length, 0);
});

test('seed protocol: a client that half-closes without a message is closed at once, without an answer, as the original does', { timeout: 15_000 },
  async (t) => {
  const server = await ringpool(['--seed-timeout-ms', '600000']); // far longer than the test: not the timeout
  t.after(() => server.child.kill('SIGKILL'));
  const got = await new Promise<string>((resolve, reject) => {
    let data = '';
    const s = net.createConnection({ host: '127.0.0.1', port: server.ports['seed']!, allowHalfOpen: true }, () => s.end());
    s.on('data', (c: Buffer) => { data += c.toString('utf8'); });
    s.on('end', () => { s.destroy(); resolve(data); }); // the server's half-close
    s.on('error', reject);
  });
  assert.equal(got, '');
  await stopCleanly(server);
  assert.equal(logLines(server.logFile).length, 0);
});

for (const framing of ['line', 'binary'] as const) {
  test(`${framing} protocol: 50 concurrent persistent clients, 40 pipelined requests each, every answer right and in order`, async (t) => {
    const server = await ringpool();
    t.after(() => server.child.kill('SIGKILL'));
    const messages = (c: number): string[] => Array.from({ length: 40 }, (_, i) => `m${c}-${i} ${'xyz'.repeat(i % 7)}é${'é'.repeat(i % 5)}`);
    await Promise.all(Array.from({ length: 50 }, async (_, c) => {
      const client = await PipelinedClient.connect(server.ports[framing]!, framing);
      client.send(messages(c));
      assert.deepEqual(await client.next(40), messages(c).map(expectedAnswer));
      client.close();
    }));
    await stopCleanly(server);
    assert.equal(logLines(server.logFile).length, 2000);
  });
}

test('a full job ring stops reading sockets and resumes when workers free space: every answer right and in order', async (t) => {
  // 4 KiB of job ring holds only a handful of 500-byte requests: most of
  // these wait in connection overflow queues while their sockets are paused.
  const server = await ringpool(['--job-ring-bytes', '4096', '--max-frame', '1000', '--workers', '2']);
  t.after(() => server.child.kill('SIGKILL'));
  const messages = (c: number): string[] => Array.from({ length: 500 }, (_, i) => `${'r'.repeat(480)}${c}-${i}${'x'.repeat(i % 3)}`);
  await Promise.all(Array.from({ length: 4 }, async (_, c) => {
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    client.send(messages(c));
    assert.deepEqual(await client.next(500), messages(c).map(expectedAnswer));
    client.close();
  }));
  await stopCleanly(server);
  assert.equal(logLines(server.logFile).length, 2000);
});

test('binary protocol with a 4-byte prefix', async (t) => {
  const server = await ringpool(['--binary-prefix', '4']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['binary']!, 'binary', 4);
  client.send(['abc7a', 'aaa']);
  assert.deepEqual(await client.next(2), ['2 sí\n', '3 sí\n']);
  client.close();
  await stopCleanly(server);
});

test('pipelining 1000 deep keeps request order while workers finish out of order', async (t) => {
  const server = await ringpool(['--workers', '3', '--log-format', 'jsonl']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  // Long and short messages interleaved: the long ones take a worker far
  // longer, so completions come back out of order.
  const messages = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? `${'q'.repeat(30_000)}${i}` : `s${i}`));
  client.send(messages);
  assert.deepEqual(await client.next(1000), messages.map(expectedAnswer));
  client.close();
  await stopCleanly(server);
  // The log is written in completion order: it proves completions were reordered.
  const order = logLines(server.logFile).map((l) => JSON.parse(l) as { message: string; worker: number; listener: string; result: string });
  assert.equal(order.length, 1000);
  const indexOf = (m: string): number => messages.indexOf(m);
  let inversions = 0;
  for (let i = 1; i < order.length; i++) if (indexOf(order[i]!.message) < indexOf(order[i - 1]!.message)) inversions++;
  assert.ok(inversions > 0, 'completions were never out of order: the test proved nothing');
  assert.ok(order.every((r) => r.listener === 'line' && /^\d+ (sí|no)$/u.test(r.result)));
});

for (const ack of ['processed', 'written', 'fsync'] as const) {
  test(`ack ${ack}: every answered request has exactly one log record with the right fields`, async (t) => {
    const server = await ringpool(['--ack', ack]);
    t.after(() => server.child.kill('SIGKILL'));
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    const messages = Array.from({ length: 300 }, (_, i) => `req|${i}\\x`);
    client.send(messages);
    assert.deepEqual(await client.next(300), messages.map(expectedAnswer));
    client.close();
    await stopCleanly(server);
    const lines = logLines(server.logFile);
    assert.equal(lines.length, 300);
    // '|' and '\' in messages are escaped: a record is always five columns.
    for (const l of lines) assert.equal(l.split(' | ').length, 5, l);
    assert.ok(lines.some((l) => l.includes('req\\|7\\\\x')));
  });
}

test('oversize frame: ERR frame too large, then the server closes the connection', async (t) => {
  const server = await ringpool(['--max-frame', '100']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  client.send(['ok1', 'y'.repeat(500), 'never']);
  const answers = await client.next(2);
  assert.equal(answers[0], '1 no\n');
  assert.match(answers[1]!, /^ERR frame too large/);
  await client.closed;
  await stopCleanly(server);
});

/** Raw bytes to a port; resolves with everything the server sent once it has closed its side. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.createConnection({ host: '127.0.0.1', port }, () => s.write(bytes));
    s.on('data', (c: Buffer) => { got += c.toString('utf8'); });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

test('after a protocol error and the client\'s own close, the connection\'s slot is free again at once (not at the idle timeout)', async (t) => {
  // One slot, an idle timeout far longer than the test, and no refusal budget to run out.
  const server = await ringpool(['--max-connections', '1', '--idle-timeout-ms', '600000', '--refusals-per-second', '1000000']);
  t.after(() => server.child.kill('SIGKILL'));
  // A negative 2-byte length; once the ERR is in, more bytes and the client's
  // close: the server must read past those bytes to see the close.
  const error = await new Promise<string>((resolve, reject) => {
    let got = '';
    const s = net.createConnection({ host: '127.0.0.1', port: server.ports['binary']! }, () => s.write(Buffer.from([0xff, 0xff])));
    s.on('data', (c: Buffer) => {
      if (got === '') s.end(Buffer.alloc(1000, 0x41));
      got += c.toString('utf8');
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
  assert.match(error, /ERR negative frame length/u);
  // The server sees that close a moment after the client does: until then a
  // new connection is refused. Each retry follows the previous refusal's close.
  let refusals = 0;
  for (;;) {
    const answer = await exchange(server.ports['seed']!, Buffer.from('abc1a'));
    if (answer !== 'ERR too many connections\n') {
      assert.equal(answer, expectedAnswer('abc1a'));
      break;
    }
    assert.ok(++refusals < 1000, 'the slot of the connection that failed is still taken');
  }
  await stopCleanly(server);
});

test('max connections: one more connection is answered ERR and closed', async (t) => {
  const server = await ringpool(['--max-connections', '2']);
  t.after(() => server.child.kill('SIGKILL'));
  const a = await PipelinedClient.connect(server.ports['line']!, 'line');
  const b = await PipelinedClient.connect(server.ports['line']!, 'line');
  a.send(['aa']);
  b.send(['aa']);
  await Promise.all([a.next(1), b.next(1)]);
  const c = await PipelinedClient.connect(server.ports['line']!, 'line');
  assert.deepEqual(await c.next(1), ['ERR too many connections\n']);
  await c.closed;
  a.close();
  b.close();
  await stopCleanly(server);
});

/** How a bare connection attempt ends: 'connected', or the error code (ECONNREFUSED when nothing listens). */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve('connected'); });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * A server with one connection slot and a budget of one refusal per window
 * of `windowMs`: `a` holds the slot, and one more connection has been
 * refused with ERR, which spent the budget.
 */
async function fullAfterOneRefusal(t: { after: (fn: () => void) => void }, windowMs: number)
  : Promise<{ server: ServerProcess & { logFile: string }; a: PipelinedClient }> {
  const server = await ringpool(['--max-connections', '1', '--refusals-per-second', '0', '--refusal-window-ms', String(windowMs)]);
  t.after(() => server.child.kill('SIGKILL'));
  const a = await PipelinedClient.connect(server.ports['line']!, 'line');
  a.send(['aa']);
  await a.next(1);
  const b = await PipelinedClient.connect(server.ports['line']!, 'line');
  assert.deepEqual(await b.next(1), ['ERR too many connections\n']);
  await b.closed;
  return { server, a };
}

test('a flood past --max-connections: ERR within the refusal budget, then the kernel refuses while open connections go on', async (t) => {
  // A window far longer than the test: the pause cannot end under it.
  const { server, a } = await fullAfterOneRefusal(t, 600_000);
  // The listeners were closed before that answer was written.
  for (const name of ['seed', 'line', 'binary']) assert.equal(await connectOutcome(server.ports[name]!), 'ECONNREFUSED', name);
  await server.waitForStderr(/connection flood past --max-connections: listeners closed/u);
  a.send(['abc1a']);
  assert.deepEqual(await a.next(1), [expectedAnswer('abc1a')]);
  a.close();
  await stopCleanly(server); // a drain during a pause: no reopen, exit 0
});

test('after a flood pause the listeners reopen and refuse with ERR again', async (t) => {
  const { server, a } = await fullAfterOneRefusal(t, 100);
  await server.waitForStderr(/listeners reopened/u);
  const c = await PipelinedClient.connect(server.ports['binary']!, 'binary');
  assert.deepEqual(await c.next(1), ['ERR too many connections\n']);
  a.close();
  await stopCleanly(server);
});

test('idle timeout closes a persistent connection that sends nothing', async (t) => {
  const server = await ringpool(['--idle-timeout-ms', '200']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  client.send(['aa']);
  await client.next(1);
  await client.closed; // resolves only if the server closes
  assert.equal(client.ended, true);
  await stopCleanly(server);
});

test('a worker that dies mid-job is replaced; its job is answered ERR and the others are unaffected', async (t) => {
  const server = await ringpool(['--allow-fault-injection']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  client.send(['aa', '__crash__', 'bbb', '__throw__', 'cc']);
  assert.deepEqual(await client.next(5), ['2 sí\n', 'ERR internal (worker died)\n', '3 sí\n', 'ERR internal\n', '2 sí\n']);
  for (let round = 0; round < 5; round++) {
    client.send(['__crash__', 'dd']);
    assert.deepEqual(await client.next(2), ['ERR internal (worker died)\n', '2 sí\n']);
  }
  client.close();
  await stopCleanly(server);
  const lines = logLines(server.logFile);
  assert.equal(lines.filter((l) => l.endsWith('ERR internal (worker died)')).length, 6);
});

test('SIGHUP reopens the log file after logrotate renamed it', async (t) => {
  const server = await ringpool();
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  client.send(['before1', 'before2']);
  await client.next(2);
  fs.renameSync(server.logFile, `${server.logFile}.1`);
  const reopened = server.waitForStderr(/log file reopened/);
  server.child.kill('SIGHUP');
  await reopened;
  client.send(['after']);
  await client.next(1);
  client.close();
  await stopCleanly(server);
  assert.equal(logLines(`${server.logFile}.1`).length, 2);
  assert.deepEqual(logLines(server.logFile).map((l) => SEED_LINE.exec(l)?.[1]), ['after']);
});

test('SIGTERM under load: every request the server took is answered and logged, exit 0', async (t) => {
  const server = await ringpool(['--workers', '2']);
  t.after(() => server.child.kill('SIGKILL'));
  const clients = await Promise.all(Array.from({ length: 8 }, () => PipelinedClient.connect(server.ports['line']!, 'line')));
  const counts = clients.map(() => 0);
  const pumps = clients.map(async (client, c) => {
    for (let round = 0; round < 1000 && !client.ended; round++) {
      client.send(Array.from({ length: 20 }, (_, i) => `c${c}r${round}i${i}a`));
      const answers = await client.next(20);
      for (const a of answers) assert.equal(a, '1 no\n');
      counts[c]! += answers.length;
      if (round === 5 && c === 0) server.child.kill('SIGTERM');
    }
  });
  await Promise.all(pumps);
  const { code } = await server.exited;
  assert.equal(code, 0);
  const answered = counts.reduce((a, b) => a + b, 0);
  assert.ok(answered >= 20 * 6);
  assert.equal(logLines(server.logFile).length, answered, 'one log record per answered request, no more');
});

test('kill -9 under load with --ack written: every acknowledged request is already in the log', async (t) => {
  const server = await ringpool(['--ack', 'written']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  const acknowledged: string[] = [];
  let stop = false;
  client.socket.on('close', () => { stop = true; });
  for (let round = 0; round < 200 && !stop; round++) {
    const batch = Array.from({ length: 50 }, (_, i) => `k${round}x${i}a`);
    client.send(batch);
    const answers = await client.next(50);
    answers.forEach((a, i) => { if (a === '1 no\n') acknowledged.push(batch[i]!); });
    if (round === 20) server.child.kill('SIGKILL');
  }
  await server.exited;
  const logged = new Set(logLines(server.logFile).map((l) => SEED_LINE.exec(l)?.[1]));
  assert.ok(acknowledged.length >= 21 * 50);
  const missing = acknowledged.filter((m) => !logged.has(m));
  assert.deepEqual(missing, [], 'acknowledged but not in the log');
});

const NEVER_READ_MESSAGES = Array.from({ length: 10_000 }, (_, i) => `never-read-${i}a`);

/**
 * A line client that pipelines and never reads. Not reading is the absence
 * of an event, so the server stopping to read can only be observed over a
 * window: it has stopped once 2 s pass without our writes draining further.
 */
async function neverReader(port: number): Promise<{ offer(chunks: number): void; offered(): number; stalled(): Promise<number>; close(): void }> {
  const client = await PipelinedClient.connect(port, 'line');
  client.socket.pause(); // never read
  const chunk = client.encode(NEVER_READ_MESSAGES);
  let offered = 0;
  return {
    offer(chunks: number): void {
      for (let i = 0; i < chunks; i++) client.socket.write(chunk);
      offered += chunks * chunk.length;
    },
    offered: () => offered,
    /** Bytes the server has read once it stopped reading. */
    async stalled(): Promise<number> {
      let before = -1;
      while (client.socket.writableLength !== before) {
        before = client.socket.writableLength;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          client.socket.once('drain', () => { clearTimeout(timer); resolve(); });
        });
      }
      return offered - client.socket.writableLength;
    },
    close: () => client.close(),
  };
}

test('a client that pipelines without ever reading cannot grow server memory without bound', async (t) => {
  const server = await ringpool(['--max-inflight', '64']);
  t.after(() => server.child.kill('SIGKILL'));
  const client = await neverReader(server.ports['line']!);
  client.offer(200);
  const read1 = await client.stalled();
  const rss1 = rssBytes(server.pid);
  client.offer(200); // ~35 MB more
  const read2 = await client.stalled();
  const rss2 = rssBytes(server.pid);
  t.diagnostic(`offered ${client.offered()} bytes; server read ${read1}, then ${read2 - read1} more; RSS ${rss1} -> ${rss2}`);
  assert.ok(read1 < client.offered() / 4, `the server kept reading from a client that never reads (${read1} bytes)`);
  assert.ok(read2 - read1 < 1024 * 1024, `the server read ${read2 - read1} more bytes while its answers were not read`);
  assert.ok(rss2 - rss1 < 16 * 1024 * 1024, `server RSS grew by ${rss2 - rss1} bytes while stalled`);
  client.close();
  await stopCleanly(server);
});

test('--send-buffer bounds the answers a client that never reads gets out of the server; 0 leaves the kernel\'s megabytes', async (t) => {
  // Answers are a few bytes each, so what the kernel holds for the peer is
  // counted in answers: the log has a record for every request processed.
  const answeredBytes = async (sendBuffer: number): Promise<number> => {
    const server = await ringpool(['--send-buffer', String(sendBuffer)]);
    t.after(() => server.child.kill('SIGKILL'));
    const client = await neverReader(server.ports['line']!);
    client.offer(400); // ~70 MB: more than any kernel buffer holds
    await client.stalled();
    client.close();
    await stopCleanly(server);
    const records = logLines(server.logFile).length;
    let bytes = 0;
    for (let i = 0; i < records; i++) bytes += Buffer.byteLength(expectedAnswer(NEVER_READ_MESSAGES[i % NEVER_READ_MESSAGES.length]!));
    t.diagnostic(`--send-buffer ${sendBuffer}: ${records} requests processed, ${bytes} bytes of answers`);
    return bytes;
  };
  assert.ok(await answeredBytes(65536) < 1024 * 1024, 'with --send-buffer 65536 the server answered over 1 MiB to a client that reads nothing');
  // The contrast: Linux autotunes the send buffer up to net.ipv4.tcp_wmem's
  // maximum (4 MiB by default), so the same client gets megabytes.
  assert.ok(await answeredBytes(0) > 1024 * 1024, 'with --send-buffer 0 the kernel held under 1 MiB of answers: the contrast shows nothing here');
});

test('writer failure (a full disk): no acknowledgement without a log record, non-zero exit with a clear message', async (t) => {
  const server = await ringpool(['--ack', 'written'], '/dev/full');
  t.after(() => server.child.kill('SIGKILL'));
  const client = await PipelinedClient.connect(server.ports['line']!, 'line');
  client.send(['aa', 'bb']);
  const answers = await client.next(2);
  assert.ok(answers.every((a) => a.startsWith('ERR log unavailable')), answers.join(''));
  const { code } = await server.exited;
  assert.equal(code, 3);
  assert.ok(server.stderrLines.some((l) => l.includes('the log writer failed')));
});
