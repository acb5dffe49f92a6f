/**
 * The load client checks answers, not just counts them: right against the
 * inline peer on every protocol, and it notices a server that answers wrong.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Protocol, runLoad } from '../profiling/load-client.js';
import { startServer } from '../profiling/server-process.js';

const HOST = '127.0.0.1';
const DIST = path.dirname(fileURLToPath(import.meta.url));
const INLINE_PEER = path.join(DIST, '../profiling/peers/inline.js');
const LOAD_CLIENT = path.join(DIST, '../profiling/load-client.js');
const REQUESTS = 2000;

for (const prefix of [2, 4] as const) {
  test(`against the inline peer (binary prefix ${prefix}): every protocol gets ${REQUESTS} right answers`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-client-test-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await startServer([process.execPath, INLINE_PEER, '--host', HOST,
      '--seed-port', '0', '--line-port', '0', '--binary-port', '0', '--binary-prefix', String(prefix),
      '--log-file', path.join(dir, 'log.txt')]);
    t.after(() => server.stop());
    const protocols: readonly Protocol[] = prefix === 2 ? ['seed', 'line', 'binary'] : ['binary'];
    for (const protocol of protocols) {
      await t.test(protocol, async () => {
        const r = await runLoad({ host: HOST, port: server.ports[protocol]!, protocol, prefix, connections: 4, depth: 8, requests: REQUESTS });
        assert.equal(r.wrong, 0, JSON.stringify(r.wrongSamples));
        assert.equal(r.errors, 0, JSON.stringify(r.errorSamples));
        assert.equal(r.requests, REQUESTS);
        assert.ok(r.latencyUs.p50 > 0 && r.latencyUs.p50 <= r.latencyUs.p99 && r.latencyUs.p99 <= r.latencyUs.max);
      });
    }
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    // The peer logs one record per answered request.
    const records = fs.readFileSync(path.join(dir, 'log.txt'), 'utf8').split('\n').length - 1;
    assert.equal(records, REQUESTS * protocols.length);
  });
}

/**
 * The CLI in a child process, asynchronously: the servers of these tests live
 * in this process, and spawnSync would block their event loop.
 */
function runCli(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD_CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Answers "3 no" to every request; never right, since 3 is prime ("3 sí"). */
async function liar(protocol: 'seed' | 'line'): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    if (protocol === 'seed') {
      socket.once('data', () => socket.end('3 no\n'));
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      let n = 0;
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
      socket.write('3 no\n'.repeat(n));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return server;
}

for (const protocol of ['line', 'seed'] as const) {
  test(`a ${protocol} server that answers "3 no" to everything is reported wrong`, async (t) => {
    const server = await liar(protocol);
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const r = await runLoad({ host: HOST, port: (server.address() as net.AddressInfo).port, protocol, connections: 2, depth: 4, requests: 200 });
    assert.equal(r.requests, 200);
    assert.equal(r.errors, 0);
    assert.equal(r.wrong, 200);
    assert.equal(r.wrongSamples[0]?.got, '3 no\n');
    // The CLI turns that into a failing exit status.
    const cli = await runCli(['--protocol', protocol, '--port', String(r.port), '--requests', '20', '--json']);
    assert.equal(cli.status, 1, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { wrong: number }).wrong, 20);
  });
}

for (const protocol of ['line', 'binary', 'seed'] as const) {
  test(`a ${protocol} run with a request budget ends with errors when the port refuses connections`, async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await runLoad({ host: HOST, port, protocol, connections: 2, depth: 4, requests: 1_000_000, timeoutMs: 300 });
    assert.equal(r.requests, 0);
    assert.ok(r.errors > 0, `errors = ${r.errors}`);
    assert.ok(r.errorSamples.some((e) => e.includes('ECONNREFUSED')), JSON.stringify(r.errorSamples));
  });
}

test('a line run against a server that accepts but never answers or closes ends at the timeout with every request an error', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => { sockets.add(socket); socket.on('error', () => undefined); });
  await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
  t.after(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); silent.close(() => resolve()); }));
  const r = await runLoad({ host: HOST, port: (silent.address() as net.AddressInfo).port, protocol: 'line', connections: 2, depth: 4, requests: 8, timeoutMs: 300 });
  assert.equal(r.requests, 0);
  assert.equal(r.errors, 8);
  assert.equal(r.wrong, 0);
});

test('warmUntil holds the measurement until it settles: what was answered before it is warm-up, not measured', async (t) => {
  let received = 0;
  let reached!: () => void;
  const fiftyReceived = new Promise<void>((resolve) => { reached = resolve; });
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      let n = 0;
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
      received += n;
      if (received >= 50) reached();
      socket.write('2 sí\n'.repeat(n)); // every trivial message's answer
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  let receivedAtStart = -1;
  const r = await runLoad({
    host: HOST, port: (server.address() as net.AddressInfo).port, protocol: 'line', connections: 2, depth: 4, requests: 100, messageSet: 'trivial',
    warmUntil: fiftyReceived, onMeasureStart: () => { receivedAtStart = received; },
  });
  assert.ok(receivedAtStart >= 50, `measurement began after ${receivedAtStart} requests`);
  assert.equal(r.requests, 100);
  assert.equal(r.wrong, 0);
  assert.ok(r.totalAnswered >= 150, `totalAnswered = ${r.totalAnswered}`);
});

test('fixed-rate mode never sends ahead of its schedule: 300 requests at 3000 req/s take at least 0.1 s', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-client-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await startServer([process.execPath, INLINE_PEER, '--host', HOST,
    '--seed-port', 'off', '--line-port', '0', '--binary-port', 'off', '--log-file', path.join(dir, 'log.txt')]);
  t.after(() => server.stop());
  const r = await runLoad({ host: HOST, port: server.ports['line']!, protocol: 'line', connections: 3, depth: 8, rate: 3000, requests: 300 });
  assert.equal(r.requests, 300);
  assert.equal(r.wrong, 0);
  // The last of 300 sends is due (300 - 3) / 3000 s after the first.
  assert.ok(r.durationS >= 0.099, `durationS = ${r.durationS}`);
});

/**
 * A server that holds its first answer STALL_MS and then answers at once
 * (every trivial message's answer is "2 sí"). The stall is the stimulus, not
 * a synchronisation: the assertions below rely only on it lasting about
 * STALL_MS, never on the order of two events.
 */
const STALL_MS = 100;
async function stallFirstAnswer(protocol: 'seed' | 'line'): Promise<net.Server> {
  let stalled = false;
  const answer = (send: () => void): void => {
    if (stalled) { send(); return; }
    stalled = true;
    setTimeout(send, STALL_MS);
  };
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    if (protocol === 'seed') {
      socket.once('data', () => answer(() => socket.end('2 sí\n')));
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      let n = 0;
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
      answer(() => socket.write('2 sí\n'.repeat(n)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return server;
}

for (const protocol of ['line', 'seed'] as const) {
  test(`fixed-rate ${protocol}: a server stall is charged to every request it held back (coordinated omission corrected)`, async (t) => {
    const server = await stallFirstAnswer(protocol);
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // 1000 req/s on ONE connection with ONE request in flight: while the first
    // answer is held, the requests due at 1, 2, ... 99 ms cannot be sent.
    const r = await runLoad({
      host: HOST, port: (server.address() as net.AddressInfo).port, protocol, connections: 1, depth: 1,
      rate: 1000, requests: 200, messageSet: 'trivial',
    });
    assert.equal(r.wrong, 0, JSON.stringify(r.wrongSamples));
    assert.equal(r.errors, 0, JSON.stringify(r.errorSamples));
    assert.equal(r.requests, 200);
    // Request k (due at k ms) is answered after the stall ends, so its
    // latency from the intended send time is at least (100 - k) ms: the 50
    // requests due in the first 50 ms (a quarter of them) took >= 50 ms.
    // Measured from the actual send time only the first request would.
    assert.ok(r.latencyUs.p90 >= 50_000, `p90 = ${r.latencyUs.p90} µs, expected >= 50 ms`);
    // A Node timer counts from the loop's cached clock, which can lag the real
    // one by a millisecond or so: the stall may end up to ~2 ms "early".
    assert.ok(r.latencyUs.max >= (STALL_MS - 2) * 1000, `max = ${r.latencyUs.max} µs`);
    // From the actual writes: the first request was written at once and held
    // for the whole stall; the ones held back were written after it and
    // answered at once (25 ms is far above a loopback answer, far below 50).
    assert.ok(r.latencyFromWriteUs.max >= (STALL_MS - 2) * 1000, `from write: max = ${r.latencyFromWriteUs.max} µs`);
    assert.ok(r.latencyFromWriteUs.p90 < 25_000, `from write: p90 = ${r.latencyFromWriteUs.p90} µs, expected well under the held-back requests' 50 ms`);
  });
}
