import { cpuWork } from './cpu-work.js';
import { primeCount } from './prime-count.js';
import { pythonStrip } from './python-strip.js';

export const JOB_NAMES = ['prime-count', 'echo'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export type JobOutcome =
  | { readonly ok: true; readonly answer: string; readonly message: string; readonly count: number | null; readonly verdict: 'sí' | 'no' | null }
  | { readonly ok: false; readonly error: string; readonly message: string };

// ignoreBOM: true keeps a leading U+FEFF as a character, as Python's 'utf-8'
// codec does (Python strips it only with 'utf-8-sig'); str.strip() keeps it too.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Work folded in here so the JIT cannot drop cpuWork's loop. */
let sink = 0;

/** Runs one job on the raw message bytes; never throws for any input. */
export function runJob(name: JobName, bytes: Uint8Array, work: number): JobOutcome {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    // The log shows what the client meant to send: U+FFFD for each bad
    // sequence, stripped like a valid message (so `abc\xff\r\n` logs `abc�`).
    return { ok: false, error: 'invalid UTF-8', message: pythonStrip(lossy.decode(bytes)) };
  }
  const message = pythonStrip(text);
  if (message.length === 0) return { ok: false, error: 'empty message', message };
  if (work > 0) sink ^= cpuWork(work);
  switch (name) {
    case 'prime-count': {
      const { count, prime } = primeCount(message);
      const verdict = prime ? 'sí' : 'no';
      return { ok: true, answer: `${count} ${verdict}\n`, message, count, verdict };
    }
    case 'echo':
      return { ok: true, answer: `${message}\n`, message, count: null, verdict: null };
    default: {
      const never: never = name;
      throw new Error(`this should not happen: job ${String(never)} (${sink})`);
    }
  }
}

/** The wire text of an error: one line. */
export function errorAnswer(error: string): string {
  return `ERR ${error}\n`;
}
