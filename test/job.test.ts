import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { cpuWork } from '../src/job/cpu-work.js';
import { type JobOutcome, errorAnswer, runJob } from '../src/job/jobs.js';
import { isPrime, primeCount } from '../src/job/prime-count.js';
import { pythonStrip } from '../src/job/python-strip.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/ /g, ''), 'hex'));

/** What the client reads for an outcome: the answer, or the error line. */
const wire = (o: JobOutcome): string => (o.ok ? o.answer : errorAnswer(o.error));

describe('isPrime', () => {
  const cases: Array<[number, boolean]> = [
    [0, false], [1, false], [2, true], [3, true], [4, false], [9, false], [25, false], [97, true], [7919, true], [7921, false],
  ];
  for (const [n, expected] of cases) {
    test(`isPrime(${n}) is ${expected}`, () => assert.equal(isPrime(n), expected));
  }
});

describe('pythonStrip', () => {
  test('strips the separators Python strips and JS trim() keeps (U+001C..U+001F, U+0085)', () => {
    assert.equal(pythonStrip('\x1c\x1d\x1e\x1f\x85a\x85\x1f'), 'a');
  });
  test('keeps the BOM (U+FEFF) and U+200B, which Python does not treat as whitespace', () => {
    assert.equal(pythonStrip('\ufeffa\u200b'), '\ufeffa\u200b');
  });
  test('strips NBSP, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000', () => {
    assert.equal(pythonStrip('\xa0\u1680\u2000\u200a\u2028 x y \u2029\u202f\u205f\u3000'), 'x y');
  });
  test('returns the same string when there is nothing to strip', () => {
    const s = 'abc def';
    assert.equal(pythonStrip(s), s);
  });
  test('whitespace-only strips to the empty string', () => assert.equal(pythonStrip(' \t\r\n\x0b\x0c'), ''));
});

describe('primeCount counts the last code point', () => {
  test('an astral last character is one character, not two UTF-16 units', () => {
    // U+1F600 = D83D DE00 and U+10600 = D801 DE00: the same low surrogate.
    assert.deepEqual(primeCount('\u{10600}\u{10600}\u{1F600}\u{1F600}'), { count: 2, prime: true });
    assert.deepEqual(primeCount('\u{10600}\u{10600}\u{10600}\u{1F600}'), { count: 1, prime: false });
  });
  test('a combining mark is its own character', () => {
    assert.deepEqual(primeCount('e\u0301e\u0301\u0301'), { count: 3, prime: true });
  });
});

describe('runJob prime-count (the original protocol)', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['ASCII', utf8('abc1a'), '2 sí\n'],
    ['ASCII with CRLF', utf8('abc1a\r\n'), '2 sí\n'],
    ['single character', utf8('x'), '1 no\n'],
    ['precomposed accents', utf8('éaée'), '1 no\n'],
    ['accents, last is é', utf8('éaéé'), '3 sí\n'],
    ['combining mark last (e + U+0301)', utf8('e\u0301e\u0301'), '2 sí\n'],
    ['astral U+1F600 next to U+10600', utf8('\u{1F600}\u{10600}\u{10600}\u{1F600}'), '2 sí\n'],
    ['astral U+10600 last, U+1F600 not counted', utf8('\u{1F600}\u{1F600}\u{1F600}\u{10600}'), '1 no\n'],
    ['leading BOM kept as a character', hex('ef bb bf ef bb bf 61 ef bb bf'), '3 sí\n'],
    ['U+0085 stripped', utf8('\x85aa\x85'), '2 sí\n'],
    ['U+001F stripped', utf8('\x1fbb\x1f'), '2 sí\n'],
    ['NBSP stripped at the ends, counted inside', utf8('\xa0a\xa0\xa0b\xa0'), '1 no\n'],
    ['NBSP inside is the last after strip', utf8('\xa0x\xa0y'), '1 no\n'],
    ['U+2028 stripped', utf8('\u2028cc\u2028'), '2 sí\n'],
    ['U+200B is not whitespace', utf8('a\u200b\u200b'), '2 sí\n'],
  ];
  for (const [name, bytes, expected] of cases) {
    test(`${name} answers ${JSON.stringify(expected)}`, () => {
      const o = runJob('prime-count', bytes, 0);
      assert.equal(wire(o), expected);
      assert.equal(o.ok, true);
    });
  }

  test('the outcome carries the stripped message, count and verdict', () => {
    assert.deepEqual(runJob('prime-count', utf8('  abc1a \n'), 0), {
      ok: true, answer: '2 sí\n', message: 'abc1a', count: 2, verdict: 'sí',
    });
  });

  const errors: Array<[string, Uint8Array, string]> = [
    ['empty', new Uint8Array(0), 'empty message'],
    ['whitespace only', utf8(' \t\r\n\x85\u3000\x1c'), 'empty message'],
    ['lone continuation byte', hex('61 80 62'), 'invalid UTF-8'],
    ['overlong encoding of "/"', hex('c0 af'), 'invalid UTF-8'],
    ['encoded surrogate ED A0 80', hex('61 ed a0 80'), 'invalid UTF-8'],
    ['truncated sequence', hex('61 e2 82'), 'invalid UTF-8'],
    ['beyond U+10FFFF', hex('f4 90 80 80'), 'invalid UTF-8'],
  ];
  for (const [name, bytes, error] of errors) {
    test(`${name} is the error "${error}"`, () => {
      const o = runJob('prime-count', bytes, 0);
      assert.equal(o.ok, false);
      assert.equal(wire(o), `ERR ${error}\n`);
    });
  }

  test('invalid UTF-8 keeps a lossy decode of the message for the log', () => {
    const o = runJob('prime-count', hex('61 80 62'), 0);
    assert.deepEqual(o, { ok: false, error: 'invalid UTF-8', message: 'a\ufffdb' });
  });

  test('the lossy message of invalid UTF-8 is stripped like a valid one', () => {
    assert.deepEqual(runJob('prime-count', hex('20 61 ff 0d 0a'), 0), { ok: false, error: 'invalid UTF-8', message: 'a\ufffd' });
  });
});

describe('runJob echo', () => {
  test('answers the stripped message with a newline and no count', () => {
    assert.deepEqual(runJob('echo', utf8(' \u{1F600} hé \r\n'), 0), {
      ok: true, answer: '\u{1F600} hé\n', message: '\u{1F600} hé', count: null, verdict: null,
    });
  });
  test('rejects an empty message like prime-count', () => {
    assert.equal(wire(runJob('echo', utf8('\t'), 0)), 'ERR empty message\n');
  });
});

describe('cpu work', () => {
  test('is deterministic and depends on the number of units', () => {
    assert.equal(cpuWork(1000), cpuWork(1000));
    assert.notEqual(cpuWork(1000), cpuWork(1001));
    assert.equal(cpuWork(0), cpuWork(0));
  });
  test('does not change the answer of a job', () => {
    assert.deepEqual(runJob('prime-count', utf8('abc1a'), 5000), runJob('prime-count', utf8('abc1a'), 0));
  });
});

// ---------------------------------------------------------------------------
// Differential test: the original Python semantics, run by python3 itself.

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = [
  'a', 'b', 'c', '1', 'é', 'í', 'e', '\u0301', '\u{1F600}', '\u{10600}', '\u{1F601}', '\ufeff', '\u200b', '\u180e',
  // Whitespace for Python, not JS (and the reverse for U+FEFF above).
  '\x1c', '\x1d', '\x1e', '\x1f', '\x85',
  // Whitespace for both.
  ' ', '\t', '\n', '\r', '\x0b', '\x0c', '\xa0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
  // Controls that are not whitespace.
  '\x00', '\x1b', '\x7f', '\x9b',
];

function randomCases(count: number, seed: number): Uint8Array[] {
  const rnd = mulberry32(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    // Mostly short strings; one in four long enough for counts such as 11, 13, 17.
    const len = pick(4) === 0 ? pick(40) : pick(12);
    // Few distinct characters per string, so counts above 1 (and primes) are common.
    const alphabet = Array.from({ length: 1 + pick(4) }, () => POOL[pick(POOL.length)] ?? 'a');
    for (let j = 0; j < len; j++) s += alphabet[pick(alphabet.length)] ?? 'a';
    const bytes = Buffer.from(s, 'utf8');
    // One case in eight gets a random byte overwritten: mostly invalid UTF-8.
    if (bytes.length > 0 && pick(8) === 0) bytes[pick(bytes.length)] = pick(256);
    out.push(Uint8Array.from(bytes));
  }
  return out;
}

/**
 * The original code, plus our error lines where it would crash. For each case
 * it prints the answer and the stripped message (UTF-8 hex, null when the
 * bytes do not decode); it also lists every code point str.isspace() accepts,
 * which is the set str.strip() removes (both use Py_UNICODE_ISSPACE).
 */
const PYTHON_ORIGINAL = String.raw`
import json, sys
def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True
answers, messages = [], []
for h in json.load(sys.stdin):
    data = bytes.fromhex(h)
    try:
        text = data.decode()
    except UnicodeDecodeError:
        answers.append("ERR invalid UTF-8\n")
        messages.append(None)
        continue
    msg = text.strip()
    messages.append(msg.encode().hex())
    if not msg:
        answers.append("ERR empty message\n")
        continue
    last = msg[-1]
    count = msg.count(last)
    answers.append(f"{count} {'sí' if is_prime(count) else 'no'}\n")
spaces = [c for c in range(0x110000) if chr(c).isspace()]
json.dump({"version": sys.version.split()[0], "answers": answers, "messages": messages, "spaces": spaces}, sys.stdout)
`;

interface PythonResult {
  readonly version: string;
  readonly answers: string[];
  readonly messages: Array<string | null>;
  readonly spaces: number[];
}

const CASES = randomCases(1000, 20261128);
const skipPython = process.env['RINGPOOL_NO_PYTHON'] === '1' ? 'RINGPOOL_NO_PYTHON=1: python3 differential test skipped' : false;

/** ONE python3 process for the whole file, run by the first test that needs it. */
let python: PythonResult | undefined;
function runPython(): PythonResult {
  if (python) return python;
  const run = spawnSync('python3', ['-c', PYTHON_ORIGINAL], {
    input: JSON.stringify(CASES.map((b) => Buffer.from(b).toString('hex'))),
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (run.error) {
    throw new Error(`python3 could not run (${run.error.message}): the differential test needs it; `
      + 'install python3, or set RINGPOOL_NO_PYTHON=1 to skip this test explicitly');
  }
  assert.equal(run.status, 0, `python3 failed: ${run.stderr}`);
  python = JSON.parse(run.stdout) as PythonResult;
  assert.equal(python.answers.length, CASES.length);
  return python;
}

describe('differential test against python3', () => {
  test(`${CASES.length} random messages (seed 20261128) get the answers of the original Python code`, { skip: skipPython }, () => {
    const { answers } = runPython();
    const tally = { invalid: 0, empty: 0, primes: 0, bigCounts: 0 };
    CASES.forEach((bytes, i) => {
      const got = wire(runJob('prime-count', bytes, 0));
      assert.equal(got, answers[i], `case ${i}: bytes ${Buffer.from(bytes).toString('hex')}`);
      if (got === 'ERR invalid UTF-8\n') tally.invalid++;
      if (got === 'ERR empty message\n') tally.empty++;
      if (got.endsWith(' sí\n')) tally.primes++;
      if (Number.parseInt(got, 10) >= 11) tally.bigCounts++;
    });
    // The generator must exercise every branch, or the comparison proves little.
    assert.ok(tally.invalid > 30 && tally.empty > 10 && tally.primes > 150 && tally.bigCounts > 10, JSON.stringify(tally));
  });

  test('the stripped message of every valid case is the one Python logs', { skip: skipPython }, () => {
    const { messages } = runPython();
    CASES.forEach((bytes, i) => {
      const o = runJob('prime-count', bytes, 0);
      const expected = messages[i];
      if (expected === null || expected === undefined) {
        assert.equal(o.ok ? 'decoded' : o.error, 'invalid UTF-8', `case ${i}`);
      } else {
        assert.equal(Buffer.from(o.message, 'utf8').toString('hex'), expected, `case ${i}`);
      }
    });
  });

  test('pythonStrip strips exactly the code points python3 calls whitespace, over all of Unicode', { skip: skipPython }, () => {
    const spaces = new Set(runPython().spaces);
    const wrong: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue; // not characters: UTF-8 cannot carry them
      const ch = String.fromCodePoint(c);
      const stripped = pythonStrip(`${ch}x${ch}`) === 'x';
      if (stripped !== spaces.has(c)) wrong.push(c.toString(16));
    }
    assert.deepEqual(wrong, [], `python ${runPython().version} disagrees on these code points`);
    assert.ok(spaces.size >= 29, `python3 reported only ${spaces.size} whitespace code points`);
  });
});
