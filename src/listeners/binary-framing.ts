import type { Framing } from '../connection.js';
import { LengthPrefixDecoder, encodeLengthPrefixed } from '../framing/length-prefix-decoder.js';
import { streamFraming } from './stream-framing.js';

/**
 * Length-prefixed frames (JMeter's LengthPrefixedBinaryTCPClientImpl): a
 * big-endian signed length of 2 or 4 bytes, then the payload. Answers are
 * framed the same way and keep their trailing newline, so the answer bytes
 * are identical on every listener.
 */
export function binaryFraming(prefixBytes: 2 | 4, maxFrame: number): Framing {
  // A 2-byte signed prefix cannot announce more than 32767 bytes.
  const max = prefixBytes === 2 ? Math.min(maxFrame, 0x7fff) : maxFrame;
  return streamFraming('binary', () => new LengthPrefixDecoder(prefixBytes, max),
    (src, start, end) => encodeLengthPrefixed(src, prefixBytes, start, end));
}
