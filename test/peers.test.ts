/**
 * The benchmark compares like with like only if every peer answers exactly
 * as ringpool does: the same messages go to ringpool and to each peer, on
 * every protocol the peer speaks, and the answers must be identical byte for
 * byte. The messages are the load client's default set (Unicode, Python
 * whitespace, astral code points, invalid UTF-8) plus a few more edge cases.
 *
 * python3 and gcc are needed (CI installs both); RINGPOOL_NO_PYTHON=1 or
 * RINGPOOL_NO_GCC=1 skips that peer's test explicitly.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { expectedAnswers, messageSet } from '../profiling/load-client.js';
import { buildCEpoll } from '../profiling/peers/c-epoll-build.js';
import { type ServerProcess, startServer } from '../profiling/server-process.js';
import { PipelinedClient, seedRequest } from './helpers/clients.js';

const DIST = path.dirname(fileURLToPath(import.meta.url));
const RINGPOOL = path.join(DIST, '../src/main.js');
const PYTHON_PEER = path.resolve(DIST, '../../profiling/peers/python-threadpool.py');

const b = (text: string): Buffer => Buffer.from(text, 'utf8');
const EXTRA: readonly Buffer[] = [
  b(''), // empty frame: ERR empty message (not sendable on seed)
  b('\u1680ogham\u1680'), b('\u205fmath mm\u205f'), b('\u2028ls\u2029'), b('\u202fnnbsp p'),
  b('zwsp\u200b\u200b'), b('\u180emvs'), // not whitespace for Python: kept
  b('𐘀😀𐘀'), b('😀𐘀😀😀'), // U+10600 and U+1F600 share a low surrogate
  b('a\u0301a\u0301a'), b('x|y\\z|'), b('tab\tinside\tt'), b('\u007fdel\u007f'),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0xf0, 0x8f, 0xbf, 0xbf]), // overlong 4-byte
  Buffer.from([0xe0, 0x9f, 0xbf]), // overlong 3-byte
  Buffer.from([0x80]), // a lone continuation byte
  Buffer.from([0x61, 0x62, 0x61, 0xf0, 0x9f, 0x98]), // truncated at the end
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('bom b')]), // a BOM is kept, not stripped
];
const MESSAGES: readonly Buffer[] = [...messageSet('default'), ...EXTRA];
const SEED_MESSAGES = MESSAGES.filter((m) => m.length > 0);

type Protocol = 'seed' | 'line' | 'binary';

async function answers(protocol: Protocol, port: number): Promise<string[]> {
  if (protocol === 'seed') {
    const out: string[] = [];
    for (const m of SEED_MESSAGES) out.push((await seedRequest(port, m)).answer);
    return out;
  }
  const client = await PipelinedClient.connect(port, protocol);
  try {
    client.send(MESSAGES);
    return await client.next(MESSAGES.length);
  } finally {
    client.close();
  }
}

describe('every peer answers the same messages exactly as ringpool does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peers-test-'));
  let ringpool: ServerProcess;
  const reference = new Map<Protocol, string[]>();

  before(async () => {
    ringpool = await startServer([process.execPath, RINGPOOL, '--host', '127.0.0.1', '--seed-port', '0', '--line-port', '0',
      '--binary-port', '0', '--http-port', 'off', '--workers', '2', '--log-file', path.join(dir, 'ringpool.txt')]);
    for (const protocol of ['seed', 'line', 'binary'] as const) reference.set(protocol, await answers(protocol, ringpool.ports[protocol]!));
  });
  after(async () => {
    await ringpool.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('ringpool itself gives the job\'s answers (so the comparisons below compare real answers)', () => {
    assert.deepEqual(reference.get('line'), expectedAnswers(MESSAGES).map((a) => a.toString('utf8')));
    assert.deepEqual(reference.get('seed'), expectedAnswers(SEED_MESSAGES).map((a) => a.toString('utf8')));
    assert.deepEqual(reference.get('binary'), reference.get('line'));
  });

  /** Starts a peer, compares its answers on each protocol with ringpool's, stops it. */
  async function compare(t: { after: (fn: () => Promise<unknown>) => void }, cmd: string[], protocols: readonly Protocol[],
    expected: (protocol: Protocol, ringpoolAnswer: string) => string = (_p, a) => a): Promise<void> {
    const peer = await startServer(cmd);
    t.after(() => peer.stop());
    for (const protocol of protocols) {
      const got = await answers(protocol, peer.ports[protocol]!);
      assert.deepEqual(got, reference.get(protocol)!.map((a) => expected(protocol, a)), `${path.basename(cmd[1] ?? cmd[0]!)} on ${protocol}`);
    }
    assert.deepEqual(await peer.stop(), { code: 0, signal: null });
  }

  for (const peer of ['inline', 'piscina'] as const) {
    test(`${peer}: seed, line and binary`, async (t) => {
      await compare(t, [process.execPath, path.join(DIST, `../profiling/peers/${peer}.js`), '--seed-port', '0', '--line-port', '0',
        '--binary-port', '0', ...(peer === 'piscina' ? ['--workers', '2'] : []), '--log-file', path.join(dir, `${peer}.txt`)], ['seed', 'line', 'binary']);
    });
  }

  test('python-threadpool: seed; where ringpool answers ERR the original sends nothing (its documented crash)',
    { skip: process.env['RINGPOOL_NO_PYTHON'] === '1' ? 'RINGPOOL_NO_PYTHON=1' : false }, async (t) => {
      await compare(t, ['python3', PYTHON_PEER, '--port', '0', '--log-file', path.join(dir, 'python.txt')], ['seed'],
        (_p, a) => (a.startsWith('ERR ') ? '' : a));
    });

  test('c-epoll: line', { skip: process.env['RINGPOOL_NO_GCC'] === '1' ? 'RINGPOOL_NO_GCC=1' : false }, async (t) => {
    const built = await buildCEpoll();
    if (!built.ok) throw new Error(`the C peer could not be built: ${built.reason}; or set RINGPOOL_NO_GCC=1 to skip this test explicitly`);
    await compare(t, [built.binary, '--line-port', '0', '--log-file', path.join(dir, 'c-epoll.txt')], ['line']);
  });
});
