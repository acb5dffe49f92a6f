/**
 * Fuzzing the decoders of src/framing/ with fast-check: arbitrary byte
 * streams (random, or valid frames with garbage, CR and LF thrown in), an
 * arbitrary --max-frame, cut into arbitrary chunks, are fed to the decoder
 * and compared with a reference model that reads the whole stream at once.
 * A crash, a wrong or missing frame, a wrong error, input accepted after an
 * error, or a buffer over its bound fails the property.
 *
 * Each chunk is overwritten with 0xEE right after the decoder returns: a
 * decoder that kept a reference to a chunk instead of copying what it still
 * needs would then produce a corrupt frame.
 *
 *   node dist/test/reliability/decoder-fuzz.js [--runs 100000] [--seed N]
 *
 * (test/framing.test.ts holds the hand-written properties: zero-copy, where
 * an oversize frame is reported; this is the differential, high-volume part.)
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import type { FrameSink } from '../../src/framing/frame-sink.js';
import { LengthPrefixDecoder } from '../../src/framing/length-prefix-decoder.js';
import { LineDecoder } from '../../src/framing/line-decoder.js';
import { SEED_MAX_MESSAGE, seedMessageEnd } from '../../src/framing/seed-frame.js';
import { type ScenarioResult, finish, isMain, machine, saveResult } from './lib/report.js';
import { textTable } from '../../profiling/lib/bench-stats.js';

const LF = 0x0a;
const CR = 0x0d;

/** What a decoder made of a stream: frames, then at most one error, and what it still buffers. */
interface Outcome {
  readonly frames: string[];
  readonly error: string | null;
  readonly buffered: number;
}

/** The line protocol read from the whole stream at once. */
export function lineModel(stream: Buffer, max: number): Outcome {
  const frames: string[] = [];
  let at = 0;
  for (;;) {
    const nl = stream.indexOf(LF, at);
    if (nl < 0) {
      const tail = stream.length - at;
      // A tail may be max + 1 bytes only if its last byte is a CR a LF could still end.
      if (tail > max + 1 || (tail === max + 1 && stream[stream.length - 1] !== CR)) {
        return { frames, error: `frame too large: more than ${max} bytes`, buffered: 0 };
      }
      return { frames, error: null, buffered: tail };
    }
    let end = nl;
    if (end > at && stream[end - 1] === CR) end--;
    if (end - at > max) return { frames, error: `frame too large: more than ${max} bytes`, buffered: 0 };
    frames.push(stream.subarray(at, end).toString('hex'));
    at = nl + 1;
  }
}

/** The length-prefixed protocol read from the whole stream at once. */
export function prefixModel(stream: Buffer, prefix: 2 | 4, max: number): Outcome {
  const frames: string[] = [];
  let at = 0;
  for (;;) {
    if (stream.length - at < prefix) return { frames, error: null, buffered: stream.length - at };
    const n = prefix === 2 ? stream.readInt16BE(at) : stream.readInt32BE(at);
    if (n < 0) return { frames, error: `negative frame length ${n}`, buffered: 0 };
    if (n > max) return { frames, error: `frame too large: ${n} bytes, max ${max}`, buffered: 0 };
    if (stream.length - at - prefix < n) return { frames, error: null, buffered: stream.length - at - prefix };
    frames.push(stream.subarray(at + prefix, at + prefix + n).toString('hex'));
    at += prefix + n;
  }
}

interface Decoder {
  push(chunk: Buffer, sink: FrameSink, from?: number): boolean;
  readonly bufferedBytes: number;
  readonly stoppedAt: number;
}

/**
 * Feeds the chunks; checks, after every push, that the decoder buffers no
 * more than `bound` and accepts nothing after an error. The sink reports
 * itself full after frame i when `full[i % full.length]` (as a connection
 * that cannot take more does): the decoder must then stop, and pushing the
 * rest of the chunk again from `stoppedAt` must give the same frames.
 */
function decode(decoder: Decoder, chunks: readonly Buffer[], bound: number, full: readonly boolean[]): Outcome {
  const frames: string[] = [];
  let error: string | null = null;
  const sink: FrameSink = {
    frame: (buf, start, end) => {
      if (error !== null) throw new Error(`frame after the error "${error}"`);
      frames.push(buf.toString('hex', start, end)); // copied now: valid only during the call
    },
    error: (reason) => {
      if (error !== null) throw new Error(`second error "${reason}" after "${error}"`);
      error = reason;
    },
    full: () => full.length > 0 && full[(frames.length - 1) % full.length] === true,
  };
  for (const chunk of chunks) {
    for (let from = 0; ;) {
      const before = frames.length;
      const ok = decoder.push(chunk, sink, from);
      if (ok !== (error === null)) throw new Error(`push returned ${ok} with error ${String(error)}`);
      if (decoder.bufferedBytes > bound) throw new Error(`buffers ${decoder.bufferedBytes} bytes, bound ${bound}`);
      const stop = decoder.stoppedAt;
      if (stop >= chunk.length) break;
      if (stop <= from || frames.length === before) throw new Error(`stopped at ${stop} after ${from} without a frame`);
      if (full[(frames.length - 1) % full.length] !== true) throw new Error(`stopped at ${stop} with the sink not full`);
      from = stop;
    }
    chunk.fill(0xee); // the decoder must not read this chunk again
  }
  return { frames, error, buffered: decoder.bufferedBytes };
}

/** The stream cut at the given offsets (taken modulo its length), as fresh buffers. */
function cut(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % (stream.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of [...at, stream.length]) {
    if (c > from) chunks.push(Buffer.from(stream.subarray(from, c)));
    from = Math.max(from, c);
  }
  return chunks;
}

const cutsArb = fc.array(fc.nat({ max: 100_000 }), { maxLength: 40 });
/** After which frames the sink says it is full (cyclic); empty: never. */
const fullArb = fc.array(fc.boolean(), { maxLength: 6 });
/** Bytes that matter to the framings, drawn often: LF, CR, 0x00, 0x7f/0x80/0xff (sign bits of a prefix). */
const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(LF, CR, 0x00, 0x7f, 0x80, 0xff));
const noiseArb = fc.array(byteArb, { maxLength: 200 }).map((a) => Buffer.from(a));

/** Valid lines around the limit, with a CR sometimes, and garbage between. */
const lineStreamArb = (max: number): fc.Arbitrary<Buffer> => fc.oneof(
  noiseArb,
  fc.array(fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: max + 2 }), fc.boolean(), byteArb)
      .map(([n, crlf, b]) => Buffer.concat([Buffer.alloc(n, b === LF ? 0x61 : b), Buffer.from(crlf ? '\r\n' : '\n')])),
    noiseArb,
  ), { maxLength: 12 }).map((parts) => Buffer.concat(parts)),
);

/** Valid frames around the limit, negative and oversize prefixes, garbage. */
const prefixStreamArb = (prefix: 2 | 4, max: number): fc.Arbitrary<Buffer> => fc.oneof(
  noiseArb,
  fc.array(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: max + 1 }).map((n) => {
      const b = Buffer.alloc(prefix + n, 0x62);
      if (prefix === 2) b.writeInt16BE(Math.min(n, 0x7fff)); else b.writeInt32BE(n);
      return b;
    }) },
    { weight: 1, arbitrary: fc.integer({ min: prefix === 2 ? -0x8000 : -0x80000000, max: prefix === 2 ? 0x7fff : 0x7fffffff }).map((n) => {
      const b = Buffer.alloc(prefix);
      if (prefix === 2) b.writeInt16BE(n); else b.writeInt32BE(n);
      return b;
    }) },
    { weight: 1, arbitrary: noiseArb },
  ), { maxLength: 12 }).map((parts) => Buffer.concat(parts)),
);

function same(got: Outcome, want: Outcome): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`decoder ${JSON.stringify(got)}\nmodel   ${JSON.stringify(want)}`);
  }
}

export interface FuzzTarget {
  readonly name: string;
  readonly property: fc.IPropertyWithHooks<unknown[]> | fc.IProperty<unknown[]>;
}

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'LineDecoder',
    property: fc.property(fc.integer({ min: 1, max: 64 }).chain((max) => fc.tuple(fc.constant(max), lineStreamArb(max))), cutsArb, fullArb,
      ([max, stream], cuts, full) => same(decode(new LineDecoder(max), cut(stream, cuts), max + 1, full), lineModel(stream, max))) as fc.IProperty<unknown[]>,
  },
  ...([2, 4] as const).map((prefix): FuzzTarget => ({
    name: `LengthPrefixDecoder (${prefix}-byte prefix)`,
    property: fc.property(fc.integer({ min: 0, max: 64 }).chain((max) => fc.tuple(fc.constant(max), prefixStreamArb(prefix, max))), cutsArb, fullArb,
      ([max, stream], cuts, full) => same(decode(new LengthPrefixDecoder(prefix, max), cut(stream, cuts), Math.max(prefix - 1, max), full),
        prefixModel(stream, prefix, max))) as fc.IProperty<unknown[]>,
  })),
  {
    name: 'seedMessageEnd',
    property: fc.property(fc.oneof(noiseArb, fc.array(byteArb, { minLength: 900, maxLength: 2100 }).map((a) => Buffer.from(a))), (chunk) => {
      const nl = chunk.indexOf(LF);
      const want = Math.min(SEED_MAX_MESSAGE, chunk.length, nl < 0 ? Infinity : nl);
      const got = seedMessageEnd(chunk);
      if (got !== want) throw new Error(`seedMessageEnd ${got}, model ${want}`);
    }) as fc.IProperty<unknown[]>,
  },
];

export interface FuzzTargetResult {
  readonly name: string;
  readonly runs: number;
  readonly seconds: number;
  readonly failure: string | null;
}

export interface FuzzResult extends ScenarioResult {
  readonly seed: number;
  readonly targets: readonly FuzzTargetResult[];
}

export function runFuzz(runsPerTarget: number, seed = Date.now() >>> 0): FuzzResult {
  const targets: FuzzTargetResult[] = [];
  for (const t of FUZZ_TARGETS) {
    const started = performance.now();
    const out = fc.check(t.property, { numRuns: runsPerTarget, seed });
    targets.push({
      name: t.name, runs: out.numRuns, seconds: (performance.now() - started) / 1000,
      failure: out.failed ? `${String(out.errorInstance)}\ncounterexample ${fc.stringify(out.counterexample)} (seed ${out.seed}, path ${out.counterexamplePath})` : null,
    });
  }
  const total = targets.reduce((n, t) => n + t.runs, 0);
  return {
    scenario: 'decoder fuzzing',
    violations: targets.filter((t) => t.failure !== null).map((t) => `${t.name}: ${t.failure!}`),
    summary: `${total.toLocaleString('en-US')} generated cases (${targets.map((t) => `${t.name} ${t.runs.toLocaleString('en-US')}`).join(', ')}), `
      + `${targets.filter((t) => t.failure !== null).length} failing, ${targets.reduce((s, t) => s + t.seconds, 0).toFixed(1)} s`,
    seed, targets,
  };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '100000' }, seed: { type: 'string' } } });
  process.stdout.write(`decoder fuzzing: ${machine()}\n`);
  const r = runFuzz(Number(values.runs), values.seed === undefined ? undefined : Number(values.seed));
  process.stdout.write(`seed ${r.seed}\n${textTable(['decoder', 'cases', 'seconds', 'result'],
    r.targets.map((t) => [t.name, t.runs, t.seconds.toFixed(1), t.failure === null ? 'ok' : 'FAILED']))}\n`);
  finish(r);
  saveResult('decoder-fuzz', r);
}

if (isMain(import.meta.url)) main();
