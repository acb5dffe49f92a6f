/**
 * Reads JMeter CSV results (.jtl) as written by JMeter 2.13 and 5.x: a header
 * row naming the columns, in any order, with any subset of columns. Fields are
 * RFC 4180 quoted when they hold the delimiter, quotes or newlines, which
 * assertion failure messages routinely do ("Test failed: text expected to
 * equal /\n\n****** received ...").
 */
import fs from 'node:fs';

export interface Sample {
  /** Epoch milliseconds (JMeter's timeStamp: the sample's start by default). */
  readonly timeStamp: number;
  /** Milliseconds from sending the request to the end of the answer. */
  readonly elapsed: number;
  readonly label: string;
  readonly responseCode: string;
  readonly responseMessage: string;
  readonly threadName: string;
  readonly success: boolean;
  readonly failureMessage: string;
  readonly bytes: number;
  /** Active threads in the sample's group / in the whole test (NaN when not saved). */
  readonly grpThreads: number;
  readonly allThreads: number;
  readonly latency: number;
  readonly connect: number;
}

/** Splits CSV text into rows of fields (quoted fields may hold delimiters, "" and newlines). */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === delimiter) {
      row.push(field); field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      rows.push(row); row = [];
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** Reads one .jtl file. Throws, naming the file, when it has no header or no timeStamp/elapsed column. */
export function readJtl(file: string): Sample[] {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.indexOf('\n'));
  // JMeter's default_delimiter may be set to tab or ';' by the user.
  const delimiter = ['\t', ';', ','].find((d) => firstLine.includes(`timeStamp${d}`) || firstLine.includes(`${d}elapsed`)) ?? ',';
  const rows = parseCsv(text, delimiter);
  const header = rows.shift();
  if (header === undefined || !header.includes('timeStamp') || !header.includes('elapsed')) {
    throw new Error(`${file}: not a JMeter CSV result with a header row (need timeStamp and elapsed columns; run with jmeter.save.saveservice.print_field_names=true)`);
  }
  const index = new Map(header.map((name, i) => [name, i]));
  const col = (r: readonly string[], name: string): string => {
    const i = index.get(name);
    return i === undefined ? '' : (r[i] ?? '');
  };
  const num = (r: readonly string[], name: string): number => {
    const v = col(r, name);
    return v === '' ? Number.NaN : Number(v);
  };
  const samples: Sample[] = [];
  for (const r of rows) {
    if (r.length < 2) continue; // blank line
    const rawTs = col(r, 'timeStamp');
    // timestamp_format=ms gives epoch ms; a date format gives text Date can parse.
    const timeStamp = /^\d+$/.test(rawTs) ? Number(rawTs) : Date.parse(rawTs);
    samples.push({
      timeStamp,
      elapsed: num(r, 'elapsed'),
      label: col(r, 'label'),
      responseCode: col(r, 'responseCode'),
      responseMessage: col(r, 'responseMessage'),
      threadName: col(r, 'threadName'),
      success: col(r, 'success') === 'true',
      failureMessage: col(r, 'failureMessage'),
      bytes: num(r, 'bytes'),
      grpThreads: num(r, 'grpThreads'),
      allThreads: num(r, 'allThreads'),
      latency: num(r, 'Latency'),
      connect: num(r, 'Connect'),
    });
  }
  return samples;
}
