import type { Framing } from '../connection.js';
import { copyAnswer } from '../framing/copy-answer.js';
import { LineDecoder } from '../framing/line-decoder.js';
import { streamFraming } from './stream-framing.js';

/** Newline-delimited requests; answers already end in a newline. */
export function lineFraming(maxFrame: number): Framing {
  return streamFraming('line', () => new LineDecoder(maxFrame), copyAnswer);
}
