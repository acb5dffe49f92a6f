import type { LogFields } from './log-fields.js';
import { resultText } from './log-fields.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ISO-8601 in local time with milliseconds and the numeric offset. */
export function isoLocal(timeMs: number): string {
  const d = new Date(timeMs);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
    + `:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
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
