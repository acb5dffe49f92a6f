/**
 * The HTTP front against the real server: POST /jobs answers as the TCP
 * protocols do, /metrics parses and its counters move by exactly what was
 * sent, /healthz turns 503 for the whole drain.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { type ServerProcess, startServer } from '../profiling/server-process.js';
import { PipelinedClient, expectedAnswer, seedRequest } from './helpers/clients.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-http-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let logs = 0;

async function ringpool(extra: readonly string[] = [], logFile = path.join(tmp, `log-${++logs}.txt`)): Promise<ServerProcess> {
  return startServer(['node', MAIN, '--seed-port', '0', '--line-port', '0', '--binary-port', '0', '--http-port', '0',
    '--workers', '2', '--log-file', logFile, ...extra]);
}

async function stopCleanly(server: ServerProcess): Promise<void> {
  const { code, signal } = await server.stop('SIGTERM');
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, server.stderrLines.slice(-5).join('\n'));
}

interface Reply { readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly body: string }

/** One request on its own connection (no agent reuse), body sent as given. */
function request(port: number, method: string, urlPath: string, body?: Buffer | string,
  headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Families = Map<string, ReturnType<typeof parsePrometheusTextFormat>[number]>;

interface Scrape { readonly families: Families; readonly text: string }

/** GET /metrics; the parser throws on anything that is not Prometheus text. */
async function scrape(port: number): Promise<Scrape> {
  const reply = await request(port, 'GET', '/metrics');
  assert.equal(reply.status, 200);
  assert.match(String(reply.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return { families: new Map(parsePrometheusTextFormat(reply.body).map((f) => [f.name, f])), text: reply.body };
}

/** The value of one counter or gauge sample: the family and every given label must exist. */
function sample({ families }: Scrape, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  assert.ok(family !== undefined, `no metric family ${name}`);
  const found = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(found?.value !== undefined, `${name} has no sample with labels ${JSON.stringify(labels)}`);
  return Number(found.value);
}

/**
 * A histogram's _count. The parser merges a labelled histogram's series into
 * one (it drops their labels), so this reads the exposition line itself.
 */
function histogramCount({ families, text }: Scrape, name: string, labels: Record<string, string> = {}): number {
  assert.equal(families.get(name)?.type, 'HISTOGRAM', `${name} is not a histogram`);
  const rendered = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const line = `${name}_count${rendered === '' ? '' : `{${rendered}}`} `;
  const found = text.split('\n').find((l) => l.startsWith(line));
  assert.ok(found !== undefined, `no line ${line}`);
  return Number(found.slice(line.length));
}

function sum({ families }: Scrape, name: string): number {
  const family = families.get(name);
  assert.ok(family !== undefined, `no metric family ${name}`);
  return family.metrics.reduce((total, m) => total + Number(m.value), 0);
}

// Unicode throughout: accents, astral code points, combining marks, Python's
// whitespace (NEL, ideographic space); and messages the job refuses.
const CASES: readonly (string | Buffer)[] = [
  'abc1a', 'abc20a', 'sí sí sí', '  ñandú ñ  ', 'aaaa', 'x', '😀a😀😀', 'e\u0301e\u0301', '\u3000kk\u3000', '\u0085zz',
  'a|b|c|', '12321', '', '   ', Buffer.from([0xff, 0xfe, 0x41]), Buffer.from([0x61, 0xc3]),
];

test('POST /jobs answers every case byte for byte as the line, binary and seed protocols do', async () => {
  const server = await ringpool();
  try {
    const { http: httpPort, line, binary, seed } = server.ports as Record<string, number>;
    const lineClient = await PipelinedClient.connect(line!, 'line');
    const binaryClient = await PipelinedClient.connect(binary!, 'binary');
    // The line protocol cannot carry an empty frame distinctly from a blank
    // line, but it does carry it: both are the empty message.
    lineClient.send(CASES);
    binaryClient.send(CASES);
    const [lineAnswers, binaryAnswers] = await Promise.all([lineClient.next(CASES.length), binaryClient.next(CASES.length)]);
    lineClient.close();
    binaryClient.close();
    for (const [i, message] of CASES.entries()) {
      const reply = await request(httpPort!, 'POST', '/jobs', message);
      const label = JSON.stringify(message.toString());
      assert.equal(reply.body, lineAnswers[i], `line vs http for ${label}`);
      assert.equal(reply.body, binaryAnswers[i], `binary vs http for ${label}`);
      if (message.length > 0) assert.equal(reply.body, (await seedRequest(seed!, message)).answer, `seed vs http for ${label}`);
      assert.equal(reply.status, reply.body.startsWith('ERR ') ? 400 : 200, `status for ${label}`);
      assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
    }
  } finally {
    await stopCleanly(server);
  }
});

test('wrong method is 405 with Allow, unknown path 404, body over --max-frame 413 declared or chunked', async () => {
  const server = await ringpool(['--max-frame', '100']);
  try {
    const port = server.ports['http']!;
    const get = await request(port, 'GET', '/jobs');
    assert.deepEqual([get.status, get.headers.allow], [405, 'POST']);
    const post = await request(port, 'POST', '/metrics', 'x');
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
    assert.equal((await request(port, 'GET', '/')).status, 404);
    assert.equal((await request(port, 'GET', '/jobs/1')).status, 404);

    const declared = await request(port, 'POST', '/jobs', 'a'.repeat(101));
    assert.equal(declared.status, 413);
    assert.equal(declared.body, 'ERR message too large (101 bytes, limit 100)\n');
    assert.equal(declared.headers.connection, 'close');
    const chunked = await request(port, 'POST', '/jobs', 'a'.repeat(150), { 'transfer-encoding': 'chunked' });
    assert.equal(chunked.status, 413);
    assert.equal(chunked.body, 'ERR message too large (over 100 bytes)\n');
    const fits = await request(port, 'POST', '/jobs', 'a'.repeat(100), { 'transfer-encoding': 'chunked' });
    assert.deepEqual([fits.status, fits.body], [200, '100 no\n']);
  } finally {
    await stopCleanly(server);
  }
});

test('pipelined requests on one keep-alive connection are answered in request order', async () => {
  const server = await ringpool();
  try {
    const messages = Array.from({ length: 200 }, (_, i) => `req${i}${'z'.repeat(i % 7)}`);
    const wire = messages.map((m) => `POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(m)}\r\n\r\n${m}`).join('');
    const socket = net.createConnection({ host: '127.0.0.1', port: server.ports['http']! });
    const bodies: string[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        // Responses have Content-Length: cut them one by one.
        for (;;) {
          const head = buffered.indexOf('\r\n\r\n');
          if (head < 0) break;
          const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, head))![1]);
          if (buffered.length < head + 4 + length) break;
          bodies.push(Buffer.from(buffered.slice(head + 4, head + 4 + length), 'latin1').toString('utf8'));
          buffered = buffered.slice(head + 4 + length);
        }
        if (bodies.length === messages.length) resolve();
      });
      socket.write(wire); // all 200 requests in one write
    });
    socket.destroy();
    assert.deepEqual(bodies, messages.map((m) => {
      const last = m.at(-1)!;
      const count = [...m].filter((c) => c === last).length;
      return `${count} ${[2, 3, 5, 7].includes(count) ? 'sí' : 'no'}\n`;
    }));
  } finally {
    await stopCleanly(server);
  }
});

test('autocannon with keep-alive and pipelining: only 200s, and every answered request is logged', async () => {
  const logFile = path.join(tmp, 'autocannon.txt');
  const server = await ringpool([], logFile);
  let result: autocannon.Result;
  try {
    result = await autocannon({
      url: `http://127.0.0.1:${server.ports['http']!}/jobs`, method: 'POST', body: 'abc1a',
      connections: 4, pipelining: 8, amount: 2000,
    });
  } finally {
    await stopCleanly(server);
  }
  assert.equal(result.errors, 0);
  assert.equal(result.non2xx, 0);
  assert.equal(result.requests.sent, 2000);
  // autocannon stops once `amount` requests are sent and closes its sockets
  // without waiting for the last pipelined answers (at most connections x
  // pipelining of them): those were processed and logged, never received.
  assert.ok(result['2xx'] >= 2000 - 4 * 8, `only ${result['2xx']} answers`);
  const logged = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.length > 0);
  assert.ok(logged.every((l) => l.endsWith(` | abc1a | ${expectedAnswer('abc1a').trim().replace(' ', ' | ')}`)), logged[0]);
  assert.ok(logged.length >= result['2xx'] && logged.length <= 2000, `${logged.length} logged, ${result['2xx']} answered`);
});

test('/metrics parses as Prometheus text and its counters move by exactly the requests sent', async () => {
  const server = await ringpool();
  try {
    const { http: port, line } = server.ports as Record<string, number>;
    const before = await scrape(port!);
    for (const family of ['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds',
      'ringpool_job_ring_queued_records', 'ringpool_job_ring_queued_bytes', 'ringpool_worker_busy_ratio', 'ringpool_log_fsync_seconds']) {
      assert.ok(before.families.has(family), `missing ${family}`);
    }
    // 30 good and 10 refused (empty) over HTTP, 25 good over the line protocol.
    for (let i = 0; i < 40; i++) {
      const reply = await request(port!, 'POST', '/jobs', i < 30 ? `m${i}` : '');
      assert.equal(reply.status, i < 30 ? 200 : 400);
    }
    const client = await PipelinedClient.connect(line!, 'line');
    client.send(Array.from({ length: 25 }, (_, i) => `line${i}`));
    await client.next(25);
    const afterScrape = await scrape(port!);
    const delta = (name: string, labels: Record<string, string> = {}): number => sample(afterScrape, name, labels) - sample(before, name, labels);
    const countDelta = (name: string, labels: Record<string, string> = {}): number =>
      histogramCount(afterScrape, name, labels) - histogramCount(before, name, labels);

    assert.equal(delta('ringpool_requests_total', { listener: 'http', outcome: 'ok' }), 30);
    assert.equal(delta('ringpool_requests_total', { listener: 'http', outcome: 'error' }), 10);
    assert.equal(delta('ringpool_requests_total', { listener: 'line', outcome: 'ok' }), 25);
    assert.equal(delta('ringpool_requests_total', { listener: 'binary', outcome: 'ok' }), 0);
    assert.equal(countDelta('ringpool_request_duration_seconds', { listener: 'http' }), 40);
    assert.equal(countDelta('ringpool_request_duration_seconds', { listener: 'line' }), 25);
    assert.equal(sum(afterScrape, 'ringpool_worker_jobs_total') - sum(before, 'ringpool_worker_jobs_total'), 65);
    assert.equal(countDelta('ringpool_job_queue_wait_seconds'), 65);
    assert.equal(delta('ringpool_ring_records_total', { ring: 'job', side: 'producer' }), 65);
    assert.equal(delta('ringpool_ring_records_total', { ring: 'job', side: 'consumer' }), 65);
    assert.equal(delta('ringpool_ring_records_total', { ring: 'log', side: 'consumer' }), 65);
    // --ack written: an answer means its record was written, so the counter already has it.
    assert.equal(delta('ringpool_log_records_written_total'), 65);
    assert.equal(countDelta('ringpool_log_batch_records'), delta('ringpool_log_write_batches_total'));
    assert.equal(sample(afterScrape, 'ringpool_job_ring_queued_records'), 0);
    assert.equal(sample(afterScrape, 'ringpool_open_connections', { listener: 'line' }), 1);
    client.close();
    await client.closed;
    assert.ok(sum(afterScrape, 'ringpool_worker_busy_seconds_total') > sum(before, 'ringpool_worker_busy_seconds_total'));
  } finally {
    await stopCleanly(server);
  }
});

test('/healthz is 200 while accepting, 503 for the whole drain, and the drain still answers and logs every accepted request', { timeout: 60_000 }, async () => {
  // The log is a FIFO nobody reads yet: once its 64 KiB pipe buffer is full
  // the writer blocks, so (in --ack written) accepted requests stay
  // unanswered and the drain cannot finish until the test reads the FIFO.
  const fifo = path.join(tmp, 'held.fifo');
  execFileSync('mkfifo', [fifo]);
  const server = await ringpool([], fifo);
  const reader = await fs.promises.open(fifo, 'r'); // opened, not read
  try {
    const port = server.ports['http']!;
    assert.equal((await request(port, 'GET', '/healthz')).status, 200);
    const client = await PipelinedClient.connect(server.ports['line']!, 'line');
    const messages = Array.from({ length: 200 }, (_, i) => `${i}-${'m'.repeat(1000)}`);
    client.send(messages);
    // Wait (by scraping) until more log bytes were produced than the pipe holds.
    for (;;) {
      const m = await scrape(port);
      if (sample(m, 'ringpool_ring_bytes_total', { ring: 'log', side: 'producer' }) > 128 * 1024) break;
    }
    server.child.kill('SIGTERM');
    await server.waitForStderr(/"msg":"draining/);
    const health = await request(port, 'GET', '/healthz');
    assert.deepEqual([health.status, health.body, health.headers.connection], [503, 'draining\n', 'close']);
    const job = await request(port, 'POST', '/jobs', 'late');
    assert.deepEqual([job.status, job.body], [503, 'ERR draining, request not accepted\n']);
    assert.equal((await request(port, 'GET', '/healthz')).status, 503, 'still draining: the writer is blocked');

    // Release the writer: the drain answers everything that was accepted.
    const logged = (await reader.readFile()).toString('utf8').split('\n').filter((l) => l.length > 0);
    const answers = await client.next(messages.length); // short if some were never accepted
    await client.closed;
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.ok(answers.length > 64, `only ${answers.length} answers`);
    assert.equal(logged.length, answers.length, 'every answered request is logged, and only those');
    assert.deepEqual(answers, messages.slice(0, answers.length).map(expectedAnswer));
  } finally {
    await reader.close();
    if (server.child.exitCode === null) await server.stop('SIGKILL');
  }
});

test('an HTTP client over --max-connections gets 503 and a close', async () => {
  const server = await ringpool(['--max-connections', '1']);
  try {
    const holder = await PipelinedClient.connect(server.ports['line']!, 'line');
    holder.send(['hold']);
    await holder.next(1); // the one slot is now certainly taken
    const reply = await request(server.ports['http']!, 'POST', '/jobs', 'abc');
    assert.deepEqual([reply.status, reply.body, reply.headers.connection], [503, 'ERR too many connections\n', 'close']);
    holder.close();
    await holder.closed;
  } finally {
    await stopCleanly(server);
  }
});
