/**
 * After a profiled run: does the request log hold every request the server
 * acknowledged? clinic ends the server with process.exit() (0x's and
 * doctor's preloads), not through its drain, so this is the check that
 * `--ack written` (an answer leaves only after its log record reached the
 * OS) really survives an abrupt exit.
 *
 * Every record is one line (the server escapes newlines inside messages), so
 * complete records are the log's newline count. A last line without its
 * newline is reported but is no failure: process.exit() can cut the writer
 * thread's write() short, and the records of a batch are acknowledged only
 * after the whole write returned, so a torn record was never acknowledged.
 */
import fs from 'node:fs';

export interface LogCheck {
  readonly ok: boolean;
  /** One line for the terminal, with every figure the verdict rests on. */
  readonly summary: string;
}

/**
 * `acknowledged`: answers the load client received. `exact`: the client has
 * no request in flight at its end and none failed (JMeter's throughput plan
 * waits for each answer), so the log must hold exactly that many records;
 * otherwise (autocannon abandons requests in flight when its time is up, a
 * failed sample may have been logged) it must hold at least that many.
 */
export function checkAcknowledgedLogged(logFile: string, acknowledged: number, exact: boolean, source: string): LogCheck {
  if (!fs.existsSync(logFile)) {
    return { ok: false, summary: `log check FAILED: ${acknowledged} acknowledged (${source}) but the server wrote no log file ${logFile}` };
  }
  const text = fs.readFileSync(logFile);
  let records = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) records++;
  const torn = text.length > 0 && text[text.length - 1] !== 10;
  const holds = exact ? records === acknowledged : records >= acknowledged;
  const rule = exact ? 'exactly as many records' : 'at least as many records';
  const summary = `log check ${holds ? 'passed' : 'FAILED'}: ${acknowledged} requests acknowledged (${source}), `
    + `${records} complete records in ${logFile}${torn ? ' plus a torn last record (never acknowledged)' : ''}; required: ${rule}`;
  return { ok: holds, summary };
}
