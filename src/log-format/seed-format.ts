import { escapeLogField } from './escape.js';
import type { LogFields } from './log-fields.js';

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

// Formatting a date is costly next to the rest of a record, and a busy
// worker writes thousands of records in the same second.
let cachedSecond = -1;
let cachedText = '';

/** `YYYY-MM-DD HH:MM:SS` in local time, like Python's datetime.now(). */
export function formatLocalSeconds(timeMs: number): string {
  const second = Math.floor(timeMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedText = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
      + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    cachedSecond = second;
  }
  return cachedText;
}

/** The original record: `time | ip | message | count | sí` (`- | ERR reason` on errors). */
export function formatSeedRecord(r: LogFields): string {
  const o = r.outcome;
  const tail = !o.ok ? `- | ERR ${o.error}` : o.count === null ? '- | echo' : `${o.count} | ${o.verdict}`;
  return `${formatLocalSeconds(r.timeMs)} | ${r.ip} | ${escapeLogField(o.message)} | ${tail}\n`;
}
