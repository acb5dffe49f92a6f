import type { JobOutcome } from '../job/jobs.js';
import { formatJsonlRecord } from './jsonl-format.js';
import { formatSeedRecord } from './seed-format.js';

export type Listener = 'seed' | 'line' | 'binary' | 'http';

/** Everything a log record says about one answered request. */
export interface LogFields {
  readonly timeMs: number;
  readonly ip: string;
  readonly port: number;
  readonly listener: Listener;
  readonly outcome: JobOutcome;
  /** From the frame's arrival on the main thread to the job's completion. */
  readonly latencyUs: number;
  /** Worker index; -1 for records written by the main thread. */
  readonly worker: number;
}

export type LogFormat = 'seed' | 'jsonl';

export function formatLogRecord(format: LogFormat, r: LogFields): string {
  switch (format) {
    case 'seed': return formatSeedRecord(r);
    case 'jsonl': return formatJsonlRecord(r);
    default: {
      const never: never = format;
      throw new Error(`this should not happen: log format ${String(never)}`);
    }
  }
}

/** The result column: `2 sí`, `echo`, or `ERR <reason>`. */
export function resultText(outcome: JobOutcome): string {
  if (!outcome.ok) return `ERR ${outcome.error}`;
  return outcome.count === null ? 'echo' : `${outcome.count} ${outcome.verdict}`;
}
