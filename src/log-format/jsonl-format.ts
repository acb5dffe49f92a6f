import type { LogFields } from './log-fields.js';
import { resultText } from './log-fields.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * ISO-8601 in local time with milliseconds and the numeric offset, e.g.
 * `2026-11-28T15:30:01.123+01:00`. The wall-clock fields are computed from
 * the instant shifted by the printed offset, so the text always parses back
 * to the exact instant, even for historical zones whose offset has seconds
 * (V8's getTimezoneOffset() truncates those to whole minutes).
 */
export function isoLocal(timeMs: number): string {
  const offset = -new Date(timeMs).getTimezoneOffset();
  const d = new Date(timeMs + offset * 60_000);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
    + `:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// JSON.stringify escapes C0 controls but leaves DEL, the C1 controls (U+009B
// is a terminal's CSI) and U+2028/U+2029 raw: escape them too, so the log is
// safe to cat and safe to embed in JavaScript.
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/gu;
const jsonString = (s: string): string =>
  JSON.stringify(s).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function formatJsonlRecord(r: LogFields): string {
  return `{"time":"${isoLocal(r.timeMs)}","ip":${jsonString(r.ip)},"port":${r.port},"listener":"${r.listener}",`
    + `"message":${jsonString(r.outcome.message)},"result":${jsonString(resultText(r.outcome))},`
    + `"latency_us":${r.latencyUs},"worker":${r.worker}}\n`;
}
