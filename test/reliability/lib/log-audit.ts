/**
 * Reads a request log back and holds it against what a client attempted and
 * what it saw acknowledged, the way durable logs are validated:
 *
 *   acknowledged ⊆ logged      (no acknowledged request is lost)
 *   logged ⊆ attempted         (nothing is logged that nobody sent)
 *   each id logged once        (no duplicates)
 *
 * A log cut by a crash may end in a torn line (a write cut short): it is
 * tolerated and reported, never counted as a record.
 */
import fs from 'node:fs';
import { expectedAnswer } from '../../helpers/clients.js';
import { idOf } from './id-load.js';

export type LogFormat = 'seed' | 'jsonl';

export interface LogRecord {
  /** The message as the client sent it (the seed format's escapes undone). */
  readonly message: string;
  /** `2 sí`, `echo` or `ERR <reason>`. */
  readonly result: string;
}

export interface LogScan {
  readonly records: LogRecord[];
  /** Complete lines that are not records of the format. */
  readonly malformed: string[];
  /** The bytes after the last newline, when the file does not end with one. */
  readonly tornTail: string | null;
  /** Where the next scan of the same file starts: just after the last newline read. */
  readonly end: number;
}

// The message column holds no raw '|' (escape.ts turns it into \|), so a
// line with two records glued together does not parse as one.
const SEED_RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| [0-9a-fA-F.:]+ \| ((?:[^\\|]|\\.)*) \| (\d+|-) \| (sí|no|echo|ERR [^|]*)$/u;

/** Inverse of src/log-format/escape.ts, written from its contract: \\ \| \n \r \t \xNN \u{N…}. */
export function unescapeLogField(escaped: string): string {
  return escaped.replace(/\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|(.))/gsu, (_m, x?: string, u?: string, c?: string) => {
    if (x !== undefined) return String.fromCharCode(Number.parseInt(x, 16));
    if (u !== undefined) return String.fromCharCode(Number.parseInt(u, 16));
    const short: Record<string, string> = { '\\': '\\', '|': '|', n: '\n', r: '\r', t: '\t' };
    const out = c === undefined ? undefined : short[c];
    if (out === undefined) throw new Error(`unknown escape \\${String(c)} in ${JSON.stringify(escaped)}`);
    return out;
  });
}

export function parseRecord(line: string, format: LogFormat): LogRecord | null {
  if (format === 'seed') {
    const m = SEED_RECORD.exec(line);
    if (m === null) return null;
    return { message: unescapeLogField(m[1]!), result: m[2] === '-' ? m[3]! : `${m[2]!} ${m[3]!}` };
  }
  try {
    const r = JSON.parse(line) as { message?: unknown; result?: unknown };
    if (typeof r.message !== 'string' || typeof r.result !== 'string') return null;
    return { message: r.message, result: r.result };
  } catch {
    return null;
  }
}

/**
 * Scans `file` from byte `from` (a previous scan's `end`) to its end. A torn
 * tail is not consumed: the next scan reads it again, completed (or glued to
 * what was appended after it).
 */
export function scanLog(file: string, format: LogFormat, from = 0): LogScan {
  const bytes = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
  const lines = bytes.subarray(from).toString('utf8').split('\n');
  const last = lines.pop()!;
  const records: LogRecord[] = [];
  const malformed: string[] = [];
  for (const line of lines) {
    const r = parseRecord(line, format);
    if (r === null) malformed.push(line);
    else records.push(r);
  }
  return { records, malformed, tornTail: last === '' ? null : last, end: bytes.length - Buffer.byteLength(last) };
}

export interface Audit {
  readonly attempted: number;
  readonly acked: number;
  /** Distinct ids of this load found in the log. */
  readonly logged: number;
  /** Acknowledged, not in the log: lost. */
  readonly ackedNotLogged: readonly string[];
  /** In the log, never sent by the client. */
  readonly loggedNotAttempted: readonly string[];
  /** In the log, never acknowledged (taken by the server, answer lost with it or refused). */
  readonly loggedNotAcked: readonly string[];
  /** Ids with more than one record. */
  readonly duplicates: readonly string[];
  /** Records of this load whose result is not the right answer to their message. */
  readonly wrongRecords: readonly LogRecord[];
  /** Records without one of this load's ids (e.g. a dead worker's ERR record). */
  readonly otherRecords: readonly LogRecord[];
}

export function audit(records: readonly LogRecord[], attempted: ReadonlyMap<string, unknown>,
  acked: ReadonlyMap<string, unknown>): Audit {
  const seen = new Map<string, number>();
  const wrongRecords: LogRecord[] = [];
  const otherRecords: LogRecord[] = [];
  for (const r of records) {
    const id = idOf(r.message);
    if (id === null) { otherRecords.push(r); continue; }
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (`${r.result}\n` !== expectedAnswer(r.message)) wrongRecords.push(r);
  }
  return {
    attempted: attempted.size,
    acked: acked.size,
    logged: seen.size,
    ackedNotLogged: [...acked.keys()].filter((id) => !seen.has(id)),
    loggedNotAttempted: [...seen.keys()].filter((id) => !attempted.has(id)),
    loggedNotAcked: [...seen.keys()].filter((id) => attempted.has(id) && !acked.has(id)),
    duplicates: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    wrongRecords,
    otherRecords,
  };
}

/** The first few items of a list, for a failure message. */
export function sample<T>(items: readonly T[], n = 5): string {
  return `${items.length}${items.length > 0 ? ` (e.g. ${JSON.stringify(items.slice(0, n))})` : ''}`;
}
