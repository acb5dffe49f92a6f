import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import type { FrameSink } from '../src/framing/frame-sink.js';
import { LengthPrefixDecoder, encodeLengthPrefixed } from '../src/framing/length-prefix-decoder.js';
import { LineDecoder } from '../src/framing/line-decoder.js';
import { PartialFrame } from '../src/framing/partial-frame.js';
import { SEED_MAX_MESSAGE, seedMessageEnd } from '../src/framing/seed-frame.js';

const LF = 0x0a;
const CR = 0x0d;

interface Decoder {
  push(chunk: Buffer, sink: FrameSink): boolean;
  readonly bufferedBytes: number;
}

/** A sink that copies each frame (the decoder's buffer is only valid during the call). */
class Recorder implements FrameSink {
  readonly frames: Buffer[] = [];
  readonly errors: string[] = [];
  /** Index of the chunk being pushed when each callback happened. */
  readonly frameChunks: number[] = [];
  errorChunk = -1;
  chunk = 0;

  frame(buf: Buffer, start: number, end: number): void {
    assert.ok(start >= 0 && start <= end && end <= buf.length, `frame bounds ${start}..${end} of ${buf.length}`);
    this.frames.push(Buffer.from(buf.subarray(start, end)));
    this.frameChunks.push(this.chunk);
  }

  error(reason: string): void {
    this.errors.push(reason);
    this.errorChunk = this.chunk;
  }
}

/** Cuts `stream` at the given offsets (any order, duplicates and out-of-range values allowed). */
function split(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) chunks.push(stream.subarray(at, p));
    at = Math.max(at, p);
  }
  if (at < stream.length) chunks.push(stream.subarray(at));
  return chunks;
}

/**
 * Feeds every chunk; returns whether the decoder accepted all of them. With
 * `maxBuffered`, checks after every push that the decoder holds no more.
 */
function feed(decoder: Decoder, chunks: readonly Buffer[], sink: Recorder, maxBuffered = Infinity): boolean {
  let ok = true;
  chunks.forEach((c, i) => {
    sink.chunk = i;
    if (!decoder.push(c, sink)) ok = false;
    assert.ok(decoder.bufferedBytes <= maxBuffered, `${decoder.bufferedBytes} bytes buffered after chunk ${i}, bound ${maxBuffered}`);
  });
  return ok;
}

/** Index of the chunk holding byte `offset` of the stream. */
function chunkOf(chunks: readonly Buffer[], offset: number): number {
  let end = 0;
  for (let i = 0; i < chunks.length; i++) {
    end += chunks[i]?.length ?? 0;
    if (offset < end) return i;
  }
  throw new Error(`offset ${offset} beyond the stream`);
}

const cutsArb = fc.array(fc.nat({ max: 10_000 }), { maxLength: 30 });
const lineFrameArb = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== LF)));

for (const crlf of [false, true]) {
  const eol = crlf ? '\r\n' : '\n';
  // Without \r\n, a frame ending in \r would lose it: that is the protocol, not a round-trip.
  const frameArb = crlf ? lineFrameArb : lineFrameArb.filter((f) => f[f.length - 1] !== CR);
  const encode = (frames: readonly Buffer[]): Buffer => Buffer.concat(frames.flatMap((f) => [f, Buffer.from(eol)]));

  describe(`LineDecoder with ${JSON.stringify(eol)} terminators`, () => {
    test('any frames, cut into any chunks, come out unchanged and nothing stays buffered', () => {
      fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), cutsArb, (frames, cuts) => {
        const decoder = new LineDecoder(40);
        const sink = new Recorder();
        // A frame of max bytes may wait for its \n with its \r buffered: max + 1.
        assert.equal(feed(decoder, split(encode(frames), cuts), sink, 40 + 1), true);
        assert.deepEqual(sink.frames, frames);
        assert.deepEqual(sink.errors, []);
        assert.equal(decoder.bufferedBytes, 0);
      }));
    });

    test('an oversize frame is reported in the chunk whose bytes first prove it, after the frames before it', () => {
      const max = 8;
      const bigArb = fc.uint8Array({ minLength: max + 1, maxLength: 30 })
        .map((a) => Buffer.from(a.filter((b) => b !== LF)))
        .filter((f) => f.length > max && (crlf || f[f.length - 1] !== CR));
      const smallArb = frameArb.filter((f) => f.length <= max);
      fc.assert(fc.property(fc.array(smallArb, { maxLength: 5 }), bigArb, fc.array(smallArb, { maxLength: 3 }), cutsArb,
        (before, big, after, cuts) => {
          const stream = encode([...before, big, ...after]);
          const chunks = split(stream, cuts);
          const decoder = new LineDecoder(max);
          const sink = new Recorder();
          assert.equal(feed(decoder, chunks, sink, max + 1), false);
          // Byte max+1 of the frame proves it too long, unless it is a \r that a \n could end.
          const start = encode(before).length;
          const proof = start + max + (big[max] === CR ? 1 : 0);
          assert.deepEqual(sink.errors, [`frame too large: more than ${max} bytes`]);
          assert.equal(sink.errorChunk, chunkOf(chunks, proof));
          assert.deepEqual(sink.frames, before);
          assert.ok(decoder.bufferedBytes <= max + 1);
        }));
    });
  });
}

describe('LineDecoder', () => {
  test('passes frames that lie inside one chunk zero-copy', () => {
    const chunk = Buffer.from('ab\ncd\r\n');
    const seen: Array<[Buffer, number, number]> = [];
    new LineDecoder(10).push(chunk, { frame: (b, s, e) => seen.push([b, s, e]), error: assert.fail });
    assert.deepEqual(seen, [[chunk, 0, 2], [chunk, 3, 5]]);
  });

  test('accepts a frame of exactly max bytes split before its \\r\\n', () => {
    const decoder = new LineDecoder(4);
    const sink = new Recorder();
    assert.equal(feed(decoder, [Buffer.from('abcd\r'), Buffer.from('\nx\n')], sink), true);
    assert.deepEqual(sink.frames.map(String), ['abcd', 'x']);
  });

  test('reports an endless line without a newline, and then refuses all input', () => {
    const decoder = new LineDecoder(100);
    const sink = new Recorder();
    assert.equal(decoder.push(Buffer.alloc(60, 0x61), sink), true);
    assert.equal(decoder.bufferedBytes, 60);
    assert.equal(decoder.push(Buffer.alloc(60, 0x61), sink), false);
    assert.deepEqual(sink.errors, ['frame too large: more than 100 bytes']);
    assert.equal(decoder.push(Buffer.from('ok\n'), sink), false);
    assert.deepEqual(sink.frames, []);
    assert.equal(sink.errors.length, 1);
  });

  test('an empty line is an empty frame', () => {
    const sink = new Recorder();
    new LineDecoder(4).push(Buffer.from('\n\r\n'), sink);
    assert.deepEqual(sink.frames.map(String), ['', '']);
  });
});

for (const prefixBytes of [2, 4] as const) {
  const max = 300;
  const encode = (frames: readonly Uint8Array[]): Buffer => Buffer.concat(frames.map((f) => encodeLengthPrefixed(f, prefixBytes)));

  describe(`LengthPrefixDecoder with a ${prefixBytes}-byte prefix`, () => {
    test('any frames, cut into any chunks, come out unchanged and nothing stays buffered', () => {
      fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: max }), { maxLength: 12 }), cutsArb, (frames, cuts) => {
        const decoder = new LengthPrefixDecoder(prefixBytes, max);
        const sink = new Recorder();
        assert.equal(feed(decoder, split(encode(frames), cuts), sink, max), true);
        assert.deepEqual(sink.frames, frames.map((f) => Buffer.from(f)));
        assert.deepEqual(sink.errors, []);
        assert.equal(decoder.bufferedBytes, 0);
      }));
    });

    test('a length over max is reported from the prefix alone, after the frames before it', () => {
      fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 5 }), fc.integer({ min: max + 1, max: 32767 }), cutsArb,
        (before, n, cuts) => {
          const head = encode(before);
          const prefix = Buffer.alloc(prefixBytes);
          if (prefixBytes === 2) prefix.writeInt16BE(n); else prefix.writeInt32BE(n);
          // Only the prefix of the large frame is sent: the payload is not needed.
          const chunks = split(Buffer.concat([head, prefix]), cuts);
          const decoder = new LengthPrefixDecoder(prefixBytes, max);
          const sink = new Recorder();
          assert.equal(feed(decoder, chunks, sink), false);
          assert.deepEqual(sink.errors, [`frame too large: ${n} bytes, max ${max}`]);
          assert.equal(sink.errorChunk, chunkOf(chunks, head.length + prefixBytes - 1));
          assert.deepEqual(sink.frames, before.map((f) => Buffer.from(f)));
        }));
    });

    test('any negative length, in any chunking, is an error from the prefix alone, after the frames before it', () => {
      const minLength = prefixBytes === 2 ? -0x8000 : -0x80000000;
      fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 5 }), fc.integer({ min: minLength, max: -1 }), cutsArb,
        (before, n, cuts) => {
          const head = encode(before);
          const prefix = Buffer.alloc(prefixBytes);
          if (prefixBytes === 2) prefix.writeInt16BE(n); else prefix.writeInt32BE(n);
          const chunks = split(Buffer.concat([head, prefix, Buffer.from('trailing bytes')]), cuts);
          const decoder = new LengthPrefixDecoder(prefixBytes, max);
          const sink = new Recorder();
          assert.equal(feed(decoder, chunks, sink, max), false);
          assert.deepEqual(sink.errors, [`negative frame length ${n}`]);
          assert.equal(sink.errorChunk, chunkOf(chunks, head.length + prefixBytes - 1));
          assert.deepEqual(sink.frames, before.map((f) => Buffer.from(f)));
        }));
    });

    test('a negative length is an error and the decoder then refuses all input', () => {
      const prefix = Buffer.alloc(prefixBytes, 0xff); // -1
      const decoder = new LengthPrefixDecoder(prefixBytes, max);
      const sink = new Recorder();
      assert.equal(decoder.push(Buffer.concat([encodeLengthPrefixed(Buffer.from('a'), prefixBytes), prefix]), sink), false);
      assert.deepEqual(sink.errors, ['negative frame length -1']);
      assert.deepEqual(sink.frames.map(String), ['a']);
      assert.equal(decoder.push(encodeLengthPrefixed(Buffer.from('b'), prefixBytes), sink), false);
      assert.equal(sink.frames.length, 1);
      assert.equal(sink.errors.length, 1);
    });

    test('a prefix split byte by byte and a zero-length frame are decoded', () => {
      const stream = encode([Buffer.from('hello'), new Uint8Array(0), Buffer.from('x')]);
      const decoder = new LengthPrefixDecoder(prefixBytes, max);
      const sink = new Recorder();
      for (let i = 0; i < stream.length; i++) {
        assert.equal(decoder.push(stream.subarray(i, i + 1), sink), true);
        if (i === 0) assert.equal(decoder.bufferedBytes, 1);
      }
      assert.deepEqual(sink.frames.map(String), ['hello', '', 'x']);
    });

    test('passes a frame that lies inside one chunk zero-copy', () => {
      const chunk = encodeLengthPrefixed(Buffer.from('abc'), prefixBytes);
      const seen: Array<[Buffer, number, number]> = [];
      new LengthPrefixDecoder(prefixBytes, max).push(chunk, { frame: (b, s, e) => seen.push([b, s, e]), error: assert.fail });
      assert.deepEqual(seen, [[chunk, prefixBytes, prefixBytes + 3]]);
    });

    test('encodeLengthPrefixed writes a big-endian prefix and the payload in one buffer', () => {
      const out = encodeLengthPrefixed(Buffer.from('hi'), prefixBytes);
      assert.deepEqual([...out], prefixBytes === 2 ? [0, 2, 0x68, 0x69] : [0, 0, 0, 2, 0x68, 0x69]);
    });
  });
}

describe('encodeLengthPrefixed limits', () => {
  test('a 2-byte prefix takes 32767 bytes and rejects 32768 with a RangeError naming both sizes', () => {
    assert.equal(encodeLengthPrefixed(new Uint8Array(32767), 2).readInt16BE(0), 32767);
    assert.throws(() => encodeLengthPrefixed(new Uint8Array(32768), 2), (e: unknown) =>
      e instanceof RangeError && e.message.includes('32768') && e.message.includes('32767'));
  });
  test('a 2-byte prefix length above 32767 cannot pass the decoder: it reads as negative', () => {
    const sink = new Recorder();
    new LengthPrefixDecoder(2, 100_000).push(Buffer.from([0x80, 0x00]), sink);
    assert.deepEqual(sink.errors, ['negative frame length -32768']);
  });
});

describe('PartialFrame (the buffer both decoders copy split frames into)', () => {
  test('its allocation never exceeds its max, whatever the append sizes, and it keeps the bytes in order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 20 }), (max, sizes) => {
      const partial = new PartialFrame(max);
      const expected: number[] = [];
      for (const size of sizes) {
        const n = Math.min(size, max - partial.length);
        const src = Buffer.from(Array.from({ length: n + 2 }, (_, i) => (expected.length + i) & 0xff));
        partial.append(src, 1, 1 + n);
        expected.push(...src.subarray(1, 1 + n));
        assert.ok(partial.bytes.length <= max, `capacity ${partial.bytes.length} > max ${max}`);
      }
      assert.deepEqual([...partial.bytes.subarray(0, partial.length)], expected);
    }));
  });

  test('clear() gives back an allocation above 64 KiB', () => {
    const partial = new PartialFrame(1 << 20);
    partial.append(Buffer.alloc(100_000), 0, 100_000);
    partial.clear();
    assert.equal(partial.length, 0);
    assert.equal(partial.bytes.length, 0);
  });
});

describe('seedMessageEnd', () => {
  const cases: Array<[string, Buffer, number]> = [
    ['no newline: the whole chunk', Buffer.from('hello'), 5],
    ['stops at the first newline', Buffer.from('ab\ncd\n'), 2],
    ['a leading newline gives an empty message', Buffer.from('\nabc'), 0],
    ['a long chunk is cut at 1024 bytes', Buffer.alloc(5000, 0x61), SEED_MAX_MESSAGE],
    ['a newline after byte 1024 is ignored', Buffer.concat([Buffer.alloc(1500, 0x61), Buffer.from('\n')]), SEED_MAX_MESSAGE],
    ['a newline at byte 1023 is used', Buffer.concat([Buffer.alloc(1023, 0x61), Buffer.from('\nzz')]), 1023],
    ['an empty chunk', Buffer.alloc(0), 0],
  ];
  for (const [name, chunk, end] of cases) {
    test(`${name} (end ${end})`, () => assert.equal(seedMessageEnd(chunk), end));
  }
});
