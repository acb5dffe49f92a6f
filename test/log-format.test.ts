import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import type { JobOutcome } from '../src/job/jobs.js';
import { escapeLogField } from '../src/log-format/escape.js';
import { formatJsonlRecord } from '../src/log-format/jsonl-format.js';
import { type LogFields, type LogFormat, formatLogRecord } from '../src/log-format/log-fields.js';
import { formatLocalSeconds, formatSeedRecord } from '../src/log-format/seed-format.js';

const TIME = new Date(2026, 10, 28, 15, 30, 1, 123).getTime(); // local time

function fields(outcome: JobOutcome, over: Partial<LogFields> = {}): LogFields {
  return { timeMs: TIME, ip: '127.0.0.1', port: 50123, listener: 'line', outcome, latencyUs: 42, worker: 3, ...over };
}

const okOutcome = (message: string): JobOutcome => ({ ok: true, answer: '2 sí\n', message, count: 2, verdict: 'sí' });

/**
 * Any string, with the characters the log must neutralise drawn often: plain
 * 'binary' strings (any code point, lone surrogates included) rarely hit C1,
 * ESC or U+2028, so two units in three come from U+0000..U+009F or a list.
 */
const TRICKY = ['\\', '|', ' | ', '\r', '\n', '\r\n', '\t', '\x1b', '\x7f', '\x85', '\x9b', '\u2028', '\u2029', '\ud800', '\udfff', '"', '\\u{2028}', '\\x1b', '\\n'];
const messageArb = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(...TRICKY),
  ),
});

const outcomeArb: fc.Arbitrary<JobOutcome> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const), message: messageArb, count: fc.nat(),
    verdict: fc.constantFrom('sí' as const, 'no' as const),
  }).map((o) => ({ ...o, answer: `${o.count} ${o.verdict}\n` })),
  messageArb.map((message) => ({ ok: true as const, answer: `${message}\n`, message, count: null, verdict: null })),
  fc.record({ ok: fc.constant(false as const), error: fc.constantFrom('empty message', 'invalid UTF-8'), message: messageArb }),
);

/** Characters that must never reach the log raw: line breaks, ESC, DEL, C1 (incl. CSI U+009B), U+2028/9. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

describe('escapeLogField', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text', 'héllo \u{1F600}', 'héllo \u{1F600}'],
    ['backslash', 'a\\b', 'a\\\\b'],
    ['CR, LF, tab', 'a\r\n\tb', 'a\\r\\n\\tb'],
    ['pipe', 'a | b', 'a \\| b'],
    ['ESC, NUL, DEL', '\x1b[31m\x00\x7f', '\\x1b[31m\\x00\\x7f'],
    ['C1 CSI and NEL', '\x9b\x85', '\\x9b\\x85'],
    ['line and paragraph separators', '\u2028\u2029', '\\u{2028}\\u{2029}'],
  ];
  for (const [name, input, expected] of cases) {
    test(`escapes ${name}`, () => assert.equal(escapeLogField(input), expected));
  }

  test('returns the very same string when nothing needs escaping', () => {
    const s = 'nothing to escape here, ñ';
    assert.equal(escapeLogField(s), s);
  });

  test('is reversible: unescaping the output gives back any input exactly', () => {
    const unescape = (e: string): string => e.replace(/\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|(.))/gsu, (_m, x?: string, u?: string, c?: string) => {
      if (x !== undefined) return String.fromCharCode(Number.parseInt(x, 16));
      if (u !== undefined) return String.fromCharCode(Number.parseInt(u, 16));
      const short: Record<string, string> = { '\\': '\\', '|': '|', n: '\n', r: '\r', t: '\t' };
      const out = c === undefined ? undefined : short[c];
      if (out === undefined) throw new Error(`unknown escape \\${String(c)} in ${JSON.stringify(e)}`);
      return out;
    });
    fc.assert(fc.property(messageArb, (s) => assert.equal(unescape(escapeLogField(s)), s)));
  });

  test('output has no unsafe character, and distinct inputs stay distinct', () => {
    fc.assert(fc.property(messageArb, messageArb, (a, b) => {
      assert.doesNotMatch(escapeLogField(a), UNSAFE);
      if (a !== b) assert.notEqual(escapeLogField(a), escapeLogField(b));
    }));
  });
});

describe('seed log format', () => {
  test('a prime-count record is "time | ip | message | count | verdict"', () => {
    assert.equal(formatSeedRecord(fields(okOutcome('abc1a'))), '2026-11-28 15:30:01 | 127.0.0.1 | abc1a | 2 | sí\n');
  });
  test('an error record has "-" for the count and the reason after ERR', () => {
    assert.equal(formatSeedRecord(fields({ ok: false, error: 'empty message', message: '' })),
      '2026-11-28 15:30:01 | 127.0.0.1 |  | - | ERR empty message\n');
  });
  test('an echo record ends "| - | echo"', () => {
    assert.equal(formatSeedRecord(fields({ ok: true, answer: 'x\n', message: 'x', count: null, verdict: null })),
      '2026-11-28 15:30:01 | 127.0.0.1 | x | - | echo\n');
  });
  test('any message gives one line of exactly five " | " columns', () => {
    fc.assert(fc.property(outcomeArb, (outcome) => {
      const line = formatSeedRecord(fields(outcome));
      assert.ok(line.endsWith('\n'));
      assert.doesNotMatch(line.slice(0, -1), UNSAFE);
      assert.equal(line.split(' | ').length, 5, JSON.stringify(line));
    }));
  });
});

describe('jsonl log format', () => {
  test('a record has every field, in order', () => {
    const line = formatJsonlRecord(fields(okOutcome('abc1a'), { listener: 'binary' }));
    assert.match(line, /^\{"time":"2026-11-28T15:30:01\.123[+-]\d\d:\d\d","ip":"127\.0\.0\.1","port":50123,"listener":"binary","message":"abc1a","result":"2 sí","latency_us":42,"worker":3\}\n$/);
  });
  test('the result of an error is "ERR <reason>" and of echo is "echo"', () => {
    const err = JSON.parse(formatJsonlRecord(fields({ ok: false, error: 'invalid UTF-8', message: 'a\ufffd' }))) as Record<string, unknown>;
    assert.equal(err['result'], 'ERR invalid UTF-8');
    const echo = JSON.parse(formatJsonlRecord(fields({ ok: true, answer: 'x\n', message: 'x', count: null, verdict: null }))) as Record<string, unknown>;
    assert.equal(echo['result'], 'echo');
  });
  test('ESC, DEL, C1 and U+2028/9 come out as \\u escapes', () => {
    const line = formatJsonlRecord(fields(okOutcome('\x1b\x7f\x9b\x85\u2028\u2029')));
    assert.ok(line.includes('"message":"\\u001b\\u007f\\u009b\\u0085\\u2028\\u2029"'), line);
  });
  test('any message gives one safe line that parses back to the same message', () => {
    fc.assert(fc.property(outcomeArb, (outcome) => {
      const line = formatJsonlRecord(fields(outcome));
      assert.ok(line.endsWith('\n'));
      assert.doesNotMatch(line.slice(0, -1), UNSAFE);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(parsed['message'], outcome.message);
    }));
  });
});

describe('timestamps', () => {
  test('formatLocalSeconds is local "YYYY-MM-DD HH:MM:SS" and follows each new second', () => {
    assert.equal(formatLocalSeconds(new Date(2026, 0, 2, 3, 4, 5, 999).getTime()), '2026-01-02 03:04:05');
    assert.equal(formatLocalSeconds(new Date(2026, 0, 2, 3, 4, 6, 0).getTime()), '2026-01-02 03:04:06');
    assert.equal(formatLocalSeconds(new Date(2026, 0, 2, 3, 4, 5, 0).getTime()), '2026-01-02 03:04:05');
  });
  test('any instant: seed time and jsonl time agree, and jsonl time parses back to the instant', () => {
    const instantArb = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2100, 0, 1) });
    fc.assert(fc.property(instantArb, (timeMs) => {
      const iso = (JSON.parse(formatJsonlRecord(fields(okOutcome('m'), { timeMs }))) as { time: string }).time;
      assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
      assert.equal(Date.parse(iso), timeMs);
      assert.equal(iso.slice(0, 19).replace('T', ' '), formatLocalSeconds(timeMs));
    }));
  });
});

/** Runs `fn` with the process in another time zone (Node re-reads TZ when it is assigned). */
function inZone(tz: string, fn: () => void): void {
  const saved = process.env['TZ'];
  process.env['TZ'] = tz;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env['TZ']; else process.env['TZ'] = saved;
  }
}

describe('timestamps in other time zones', () => {
  // Each case has its own instant: formatLocalSeconds caches the last second it formatted.
  const cases: Array<[string, number, string, string]> = [
    ['Europe/Paris', Date.UTC(2026, 10, 28, 14, 30, 1, 123), '2026-11-28T15:30:01.123+01:00', '2026-11-28 15:30:01'],
    ['Europe/Paris', Date.UTC(2026, 6, 1, 12, 0, 0, 5), '2026-07-01T14:00:00.005+02:00', '2026-07-01 14:00:00'],
    ['Asia/Kolkata', Date.UTC(2026, 10, 28, 14, 30, 2, 0), '2026-11-28T20:00:02.000+05:30', '2026-11-28 20:00:02'],
    ['America/St_Johns', Date.UTC(2026, 10, 28, 14, 30, 3, 999), '2026-11-28T11:00:03.999-03:30', '2026-11-28 11:00:03'],
    ['Pacific/Chatham', Date.UTC(2026, 10, 28, 14, 30, 4, 7), '2026-11-29T04:15:04.007+13:45', '2026-11-29 04:15:04'],
    ['America/Los_Angeles', Date.UTC(2026, 0, 1, 7, 59, 59, 999), '2025-12-31T23:59:59.999-08:00', '2025-12-31 23:59:59'],
  ];
  for (const [tz, timeMs, iso, seed] of cases) {
    test(`${tz}: ${new Date(timeMs).toISOString()} is ${iso} in jsonl and ${seed} in the seed log`, () => {
      inZone(tz, () => {
        const r = fields(okOutcome('m'), { timeMs });
        assert.equal((JSON.parse(formatJsonlRecord(r)) as { time: string }).time, iso);
        assert.ok(formatSeedRecord(r).startsWith(`${seed} | `), formatSeedRecord(r));
      });
    });
  }

  for (const tz of ['Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam']) {
    test(`${tz}: jsonl time parses back to the exact instant from 1850 to 2100, historical local-mean-time offsets included`, () => {
      inZone(tz, () => {
        const instantArb = fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) });
        fc.assert(fc.property(instantArb, (timeMs) => {
          const iso = (JSON.parse(formatJsonlRecord(fields(okOutcome('m'), { timeMs }))) as { time: string }).time;
          assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
          assert.equal(Date.parse(iso), timeMs, iso);
        }), { examples: [[Date.UTC(1900, 0, 1)]] });
      });
    });
  }
});

describe('formatLogRecord', () => {
  for (const format of ['seed', 'jsonl'] as const satisfies readonly LogFormat[]) {
    test(`format "${format}" dispatches to its formatter`, () => {
      const r = fields(okOutcome('abc1a'));
      assert.equal(formatLogRecord(format, r), format === 'seed' ? formatSeedRecord(r) : formatJsonlRecord(r));
    });
  }
});
