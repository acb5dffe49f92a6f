/**
 * Log injection, end to end: messages full of what could forge or corrupt a
 * record (CR, LF, '|', backslash, ANSI and OSC escape sequences, C1 CSI,
 * NUL, DEL, backspace, U+2028/9, a whole fake record) go through a real
 * server on every listener that can carry them, in both log formats; the
 * log file must then hold exactly one line per request, each parsing back to
 * the exact message sent, with no raw control character anywhere.
 * (test/log-format.test.ts checks the formatters alone.)
 *
 *   node dist/test/reliability/log-injection.js [--messages 20000] [--seed N]
 */
import fc from 'fast-check';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PipelinedClient, expectedAnswer, seedRequest } from '../helpers/clients.js';
import { type LogFormat, parseRecord } from './lib/log-audit.js';
import { type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { startRingpool, tail } from './lib/ringpool.js';

/** Hand-picked payloads, always sent. */
export const PAYLOADS: readonly string[] = [
  'a\rb', 'a\nb', 'a\r\nb', 'a | b | c', 'a\\b', 'a\\nb', 'a\\|b', 'a\\\\', '\x1b[31mred\x1b[0m', '\x1b]0;title\x07', '\x1b[2J\x1b[H',
  '\x9b31m', '\x00\x01\x7f', 'over\bwrite', '\u2028\u2029', 'tab\there', '"quoted" {json}',
  'x\n2026-01-01 00:00:00 | 6.6.6.6 | forged | 2 | sí',
  'x\n{"time":"2026-01-01T00:00:00.000+00:00","ip":"6.6.6.6","port":1,"listener":"line","message":"forged","result":"2 sí","latency_us":0,"worker":0}',
];

/** Units a random message is built from: the dangerous ones often, every code point sometimes. */
const unitArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('|', ' | ', '\\', '\r\n', '\x1b[', '\x1b]', '\u2028', '\u2029', '"', 'é', '\u{1F600}', 'e\u0301') },
  { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)) },
);

/** Messages that start with 'a' and end with 'z', so str.strip() leaves them whole. */
export function hostileMessages(n: number, seed: number): string[] {
  const random = fc.sample(fc.array(unitArb, { maxLength: 40 }).map((units) => units.join('')), { numRuns: Math.max(0, n - PAYLOADS.length), seed });
  return [...PAYLOADS, ...random].slice(0, n).map((m) => `a${m}z`);
}

function post(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/jobs', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Raw in a log file: any control character but the record's own newline, DEL, C1, U+2028/9.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

export interface InjectionResult extends ScenarioResult {
  readonly seed: number;
  readonly perFormat: Record<LogFormat, { sent: number; lines: number }>;
}

export async function runLogInjection(o: { messages: number; seed?: number }): Promise<InjectionResult> {
  const seed = o.seed ?? (Date.now() >>> 0);
  const messages = hostileMessages(o.messages, seed);
  const dir = tempDir('injection');
  const violations: string[] = [];
  const perFormat = {} as Record<LogFormat, { sent: number; lines: number }>;
  try {
    for (const format of ['seed', 'jsonl'] as const) {
      const logFile = path.join(dir, `${format}.log`);
      const server = await startRingpool({ logFile, http: true, args: ['--log-format', format] });
      const sent: string[] = [];
      try {
        // Every message over binary and HTTP (they carry any byte); over line
        // and seed those without LF (their terminator).
        const byListener = { binary: messages, http: messages, line: messages.filter((m) => !m.includes('\n')), seed: messages.filter((m) => !m.includes('\n') && Buffer.byteLength(m) <= 1024) };
        for (const framing of ['line', 'binary'] as const) {
          const client = await PipelinedClient.connect(server.ports[framing]!, framing);
          for (let i = 0; i < byListener[framing].length; i += 500) {
            const batch = byListener[framing].slice(i, i + 500);
            client.send(batch);
            const answers = await client.next(batch.length);
            batch.forEach((m, k) => { if (answers[k] !== expectedAnswer(m)) violations.push(`${format}/${framing}: ${JSON.stringify(m)} answered ${JSON.stringify(answers[k])}`); });
            sent.push(...batch);
          }
          client.close();
        }
        for (const [listener, send] of [['seed', (m: string) => seedRequest(server.ports['seed']!, m).then((r) => r.answer)],
          ['http', (m: string) => post(server.ports['http']!, m)]] as const) {
          for (let i = 0; i < byListener[listener].length; i += 50) {
            const batch = byListener[listener].slice(i, i + 50);
            const answers = await Promise.all(batch.map(send));
            batch.forEach((m, k) => { if (answers[k] !== expectedAnswer(m)) violations.push(`${format}/${listener}: ${JSON.stringify(m)} answered ${JSON.stringify(answers[k])}`); });
            sent.push(...batch);
          }
        }
        const exit = await server.stop('SIGTERM');
        if (exit.code !== 0) violations.push(`${format}: exit ${exit.signal ?? exit.code}\n${tail(server)}`);
      } finally {
        await server.stop('SIGKILL');
      }

      const text = fs.readFileSync(logFile, 'utf8');
      const lines = text.split('\n');
      const last = lines.pop();
      perFormat[format] = { sent: sent.length, lines: lines.length };
      const v = (what: string): void => void violations.push(`${format} log: ${what}`);
      if (last !== '') v(`does not end with a newline: ${JSON.stringify(last)}`);
      const raw = UNSAFE.exec(text);
      if (raw !== null) v(`raw U+${raw[0].codePointAt(0)!.toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, raw.index - 40), raw.index + 10))}`);
      if (lines.length !== sent.length) v(`${lines.length} lines for ${sent.length} requests`);
      const logged: string[] = [];
      for (const line of lines) {
        const r = parseRecord(line, format);
        if (r === null) { v(`a line that is not a record: ${JSON.stringify(line.slice(0, 200))}`); continue; }
        if (`${r.result}\n` !== expectedAnswer(r.message)) v(`record with result ${r.result} for ${JSON.stringify(r.message)}`);
        logged.push(r.message);
      }
      const key = (list: string[]): string => JSON.stringify([...list].sort());
      if (key(logged) !== key(sent)) {
        const missing = sent.filter((m) => !logged.includes(m));
        v(`logged messages differ from those sent; e.g. not found back: ${JSON.stringify(missing.slice(0, 3))}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    scenario: 'log injection',
    violations: violations.slice(0, 20),
    summary: `${messages.length} hostile messages (${PAYLOADS.length} hand-picked, the rest generated) over seed, line, binary and HTTP: `
      + `${Object.entries(perFormat).map(([f, c]) => `${f} log ${c.lines} lines for ${c.sent} requests`).join(', ')}; `
      + `${violations.length === 0 ? 'each line one record that parses back to the exact message, no raw control character' : `${violations.length} VIOLATIONS`}`,
    seed, perFormat,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' }, seed: { type: 'string' } } });
  process.stdout.write(`log injection: ${machine()}\n`);
  const r = await runLogInjection({ messages: Number(values.messages), seed: values.seed === undefined ? undefined : Number(values.seed) });
  process.stdout.write(`seed ${r.seed}\n`);
  finish(r);
  saveResult('log-injection', r);
}

if (isMain(import.meta.url)) await main();
