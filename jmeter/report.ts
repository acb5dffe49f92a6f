/**
 * jmeter/report RESULTS.jtl [more.jtl ...] [--label L] [--out report.html]
 *
 * Turns JMeter CSV results into one self-contained HTML page (inline SVG
 * charts drawn by Vega-Lite, no scripts, no network) and prints a text
 * summary. Several files are several runs, compared on the same charts; a run
 * is named by `--label L` placed before its file, else by a `threads=N` /
 * `workers=M` part of its path, else by its folder. When the runs are named
 * threads=N,workers=M (a sweep), throughput and p99 are also drawn against
 * client threads, one line per server worker count.
 *
 * JMeter records elapsed times in whole milliseconds: answers faster than
 * 1 ms count as 0 ms, so a p50 of 0 means "under a millisecond".
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  barChart, escapeHtml, histogram, htmlTable, lineChart, writeHtmlPage, type Row, type Section,
} from '../profiling/lib/charts.js';
import { readJtl, type Sample } from './jtl.js';

export interface Run {
  readonly label: string;
  readonly file: string;
  readonly samples: readonly Sample[];
}

export interface Summary {
  readonly label: string;
  readonly samples: number;
  readonly errors: number;
  /** Seconds from the first sample's start to the last sample's end. */
  readonly durationS: number;
  /** Samples per second over `durationS`. */
  readonly throughput: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

function ascending(values: readonly number[]): number[] {
  return Float64Array.from(values).sort() as unknown as number[];
}

function span(samples: readonly Sample[]): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const s of samples) {
    start = Math.min(start, s.timeStamp);
    end = Math.max(end, s.timeStamp + s.elapsed);
  }
  return { start, end };
}

export function summarize(label: string, samples: readonly Sample[]): Summary {
  const sorted = ascending(samples.map((s) => s.elapsed));
  const { start, end } = span(samples);
  // At least 1 ms, so a run of one 0 ms sample still has a finite rate.
  const durationS = samples.length === 0 ? 0 : Math.max(end - start, 1) / 1000;
  return {
    label,
    samples: samples.length,
    errors: samples.filter((s) => !s.success).length,
    durationS,
    throughput: durationS === 0 ? 0 : samples.length / durationS,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
    mean: sorted.length === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

export function formatSummary(s: Summary): string {
  const pct = s.samples === 0 ? 0 : (100 * s.errors) / s.samples;
  return `${s.label}: samples ${s.samples}, errors ${s.errors} (${pct.toFixed(2)}%), `
    + `throughput ${s.throughput.toFixed(1)}/s over ${s.durationS.toFixed(1)} s, `
    + `p50 ${s.p50} ms, p90 ${s.p90} ms, p99 ${s.p99} ms, max ${s.max} ms`;
}

/** What went wrong with one failed sample, on one line. */
function errorKey(s: Sample): string {
  // A sampler error (connect refused, timeout) is in the response message,
  // and its assertion then only says "Response was null": name the cause.
  if (s.responseMessage !== '' && s.responseMessage !== 'OK') {
    return `${s.label}: ${s.responseCode} ${s.responseMessage}`.slice(0, 110);
  }
  // An assertion failure: its first line and what was received
  // ("****** received  : [[[2]]] sí" for Equals), differences in [[[ ]]].
  const lines = s.failureMessage.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const received = lines.find((l) => l.startsWith('****** received'));
  const what = [lines[0] ?? `${s.responseCode} ${s.responseMessage}`.trim(), received?.replace(/^\*+ received\s*:\s*/, 'received ')]
    .filter((x) => x !== undefined).join(' ');
  return `${s.label}: ${what}`.slice(0, 110);
}

/** A width for time buckets that keeps a chart at about 40 points or fewer. */
function bucketMs(durationMs: number): number {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
  return steps.find((w) => durationMs / w <= 40) ?? 3_600_000;
}

interface Bucket { readonly t: number; readonly elapsed: number[]; readonly spanMs: number }

function buckets(samples: readonly Sample[], widthMs: number): Bucket[] {
  const { start, end } = span(samples);
  const n = Math.max(1, Math.ceil((end - start) / widthMs));
  const out: Bucket[] = [];
  for (let i = 0; i < n; i++) {
    // The last bucket is usually partial: divide by its real span, not the width.
    out.push({ t: (i * widthMs) / 1000, elapsed: [], spanMs: Math.max(1, Math.min(widthMs, end - start - i * widthMs)) });
  }
  for (const s of samples) {
    const i = Math.min(n - 1, Math.floor((s.timeStamp + s.elapsed - start) / widthMs));
    out[i]?.elapsed.push(s.elapsed);
  }
  return out;
}

/** Rounds up to 1, 2 or 5 times a power of ten. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? 10 * p;
}

function histogramRows(samples: readonly Sample[]): { rows: Row[]; cut: number; over: number } {
  const sorted = ascending(samples.map((s) => s.elapsed));
  const cut = Math.max(1, percentile(sorted, 99.9));
  const width = cut <= 40 ? 1 : niceStep(cut / 40);
  const counts = new Map<number, number>();
  let over = 0;
  for (const v of sorted) {
    if (v > cut) over++;
    const bin = Math.floor(Math.min(v, cut) / width) * width;
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  const rows = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([start, count]) => ({ start, end: start + width, count }));
  return { rows, cut, over };
}

/** `threads=N` and `workers=M` read from a run label (a sweep), else null. */
function sweepPoint(label: string): { threads: number; workers: number } | null {
  const t = /threads=(\d+)/.exec(label);
  const w = /workers=(\d+)/.exec(label);
  return t?.[1] !== undefined && w?.[1] !== undefined ? { threads: Number(t[1]), workers: Number(w[1]) } : null;
}

function defaultLabel(file: string): string {
  const parts = [...file.matchAll(/(threads|workers)=(\d+)/g)].map((m) => m[0]);
  const unique = [...new Set(parts)];
  if (unique.length > 0) return unique.join(',');
  return path.basename(path.dirname(path.resolve(file)));
}

function fixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function summaryRow(s: Summary): Row {
  return {
    run: s.label, samples: s.samples, errors: s.errors, 'errors %': fixed(s.samples ? (100 * s.errors) / s.samples : 0, 2),
    'duration s': fixed(s.durationS), 'throughput /s': fixed(s.throughput), 'mean ms': fixed(s.mean, 2),
    'p50 ms': s.p50, 'p90 ms': s.p90, 'p99 ms': s.p99, 'max ms': s.max,
  };
}

const SUMMARY_COLUMNS = ['run', 'samples', 'errors', 'errors %', 'duration s', 'throughput /s', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];

/** Builds the page for `runs`, writes it to `out`, returns the per-run summaries. */
export async function writeReport(runs: readonly Run[], out: string, title = 'JMeter results'): Promise<Summary[]> {
  const summaries = runs.map((r) => summarize(r.label, r.samples));
  const all = runs.flatMap((r) => r.samples);
  const single = runs.length === 1;
  const sections: Section[] = [];

  const perLabel: Row[] = [];
  for (const run of runs) {
    const labels = [...new Set(run.samples.map((s) => s.label))];
    for (const label of labels) {
      const s = summarize(label, run.samples.filter((x) => x.label === label));
      perLabel.push({ ...summaryRow(s), run: run.label, sampler: label });
    }
  }
  sections.push({
    title: 'Summary',
    html: htmlTable(SUMMARY_COLUMNS, summaries.map(summaryRow), ['run'])
      + '<p>Per sampler:</p>'
      + htmlTable(['run', 'sampler', ...SUMMARY_COLUMNS.slice(1)], perLabel, ['run', 'sampler'])
      + '<p>Elapsed times are JMeter\'s, in whole milliseconds: 0 ms means under a millisecond. '
      + 'Throughput is samples divided by the time from the first sample\'s start to the last one\'s end.</p>',
  });

  const sweep = runs.map((r, i) => ({ point: sweepPoint(r.label), s: summaries[i] }));
  if (runs.length > 1 && sweep.every((x) => x.point !== null)) {
    const rows: Row[] = sweep.map(({ point, s }) => ({
      threads: point?.threads ?? 0, workers: `workers=${point?.workers ?? 0}`, throughput: s?.throughput ?? 0, p99: s?.p99 ?? 0,
    })).sort((a, b) => Number(a.threads) - Number(b.threads));
    sections.push({
      title: 'Sweep: throughput against client threads',
      svg: await lineChart({ title: 'Throughput (samples/s) by JMeter threads, one line per server --workers', rows, x: 'threads', y: 'throughput', xTitle: 'JMeter threads (one persistent connection each)', yTitle: 'samples / s', series: 'workers', seriesTitle: 'server', points: true, height: 300 }),
    });
    sections.push({
      title: 'Sweep: p99 response time against client threads',
      svg: await lineChart({ title: 'p99 response time (ms) by JMeter threads, one line per server --workers', rows, x: 'threads', y: 'p99', xTitle: 'JMeter threads (one persistent connection each)', yTitle: 'p99 ms', series: 'workers', seriesTitle: 'server', points: true, height: 300 }),
    });
  }

  const longest = Math.max(...runs.map((r) => { const { start, end } = span(r.samples); return r.samples.length ? end - start : 0; }));
  const width = bucketMs(longest);
  const tpRows: Row[] = [];
  const pRows: Row[] = [];
  for (const run of runs) {
    if (run.samples.length === 0) continue;
    for (const b of buckets(run.samples, width)) {
      tpRows.push({ t: b.t, run: run.label, rate: (1000 * b.elapsed.length) / b.spanMs });
      if (b.elapsed.length === 0) continue;
      const sorted = ascending(b.elapsed);
      const ps: [string, number][] = single ? [['p50', 50], ['p90', 90], ['p99', 99]] : [['p99', 99]];
      for (const [name, p] of ps) pRows.push({ t: b.t, series: single ? name : run.label, ms: percentile(sorted, p) });
    }
  }
  // Up to 4 runs share one plot, one coloured line each; more get a small panel each.
  const manyRuns = runs.length > 4;
  const order = runs.map((r) => r.label);
  const perRun = single ? {} : manyRuns ? { facet: 'run', facetOrder: order, columns: 4 } : { series: 'run' };
  const bucketNote = `<p>Buckets of ${width >= 1000 ? `${width / 1000} s` : `${width} ms`}, by each sample's end time; rates are per second.</p>`;
  sections.push({
    title: 'Throughput over time',
    html: bucketNote,
    svg: await lineChart({ title: 'Samples per second', rows: tpRows, x: 't', y: 'rate', xTitle: 'seconds since the run started', yTitle: 'samples / s', ...perRun }),
  });
  sections.push({
    title: single ? 'Response time percentiles over time' : 'p99 response time over time',
    html: bucketNote.replace('; rates are per second', ''),
    svg: await lineChart({ title: single ? 'p50, p90, p99 response time (ms)' : 'p99 response time (ms) per run', rows: pRows, x: 't', y: 'ms', xTitle: 'seconds since the run started', yTitle: 'ms', ...(single ? { series: 'series', seriesTitle: 'percentile' } : manyRuns ? { facet: 'series', facetOrder: order, columns: 4 } : { series: 'series', seriesTitle: 'run' }) }),
  });

  if (all.length > 0) {
    const h = histogramRows(all);
    sections.push({
      title: 'Response time distribution',
      html: `<p>${single ? '' : 'All runs together. '}Bars are [start, end) ms; y is logarithmic so the tail shows. `
        + (h.over > 0 ? `The last bar also holds the ${h.over} samples above p99.9 = ${h.cut} ms (max ${Math.max(...summaries.map((s) => s.max))} ms).` : '')
        + '</p>',
      svg: await histogram({ title: 'Samples by response time', rows: h.rows, start: 'start', end: 'end', count: 'count', xTitle: 'response time (ms)', yTitle: 'samples (log scale)', yLog: true }),
    });
  }

  const errors = new Map<string, number>();
  for (const run of runs) {
    for (const s of run.samples) {
      if (s.success) continue;
      const key = single ? errorKey(s) : `[${run.label}] ${errorKey(s)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
  if (errors.size === 0) {
    sections.push({ title: 'Errors by message', html: '<p class="good">No errors: every sample succeeded and passed its assertions.</p>' });
  } else {
    const rows: Row[] = [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([message, count]) => ({ message, count }));
    sections.push({
      title: 'Errors by message',
      html: `<p class="bad">${all.filter((s) => !s.success).length} failed samples, ${errors.size} distinct messages${errors.size > 25 ? ' (top 25 shown)' : ''}.</p>`
        + htmlTable(['count', 'message'], rows, ['message']),
      svg: await barChart({ title: 'Failed samples by message', rows, category: 'message', value: 'count', categoryTitle: '', valueTitle: 'failed samples' }),
    });
  }

  const intro = `<p>${runs.length} run${single ? '' : 's'}, generated ${escapeHtml(new Date().toISOString())} by <code>jmeter/report</code> from JMeter's CSV results.</p>`
    + `<details><summary>Result files</summary><ul>${runs.map((r) => `<li><code>${escapeHtml(r.label)}</code>: ${escapeHtml(path.resolve(r.file))}</li>`).join('')}</ul></details>`;
  writeHtmlPage(out, title, sections, intro);
  return summaries;
}

interface Args { readonly files: { file: string; label: string }[]; readonly out: string | null; readonly title: string | null }

function parseArgs(argv: readonly string[]): Args {
  const files: { file: string; label: string }[] = [];
  let out: string | null = null;
  let title: string | null = null;
  let label: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out' || a === '-o') out = value();
    else if (a === '--label') label = value();
    else if (a === '--title') title = value();
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else { files.push({ file: a, label: label ?? defaultLabel(a) }); label = null; }
  }
  if (files.length === 0) throw new Error('no .jtl file given');
  if (label !== null) throw new Error(`--label ${label} must come before the file it names`);
  return { files, out, title };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`jmeter/report: ${(err as Error).message}\nusage: jmeter/report RESULTS.jtl [[--label L] more.jtl ...] [--out report.html] [--title T]`);
    return 2;
  }
  const runs: Run[] = args.files.map(({ file, label }) => ({ file, label, samples: readJtl(file) }));
  const first = args.files[0]?.file ?? '.';
  const out = args.out ?? path.join(path.dirname(first), 'report.html');
  const summaries = await writeReport(runs, out, args.title ?? (runs.length === 1 ? `JMeter results: ${runs[0]?.label ?? ''}` : 'JMeter results'));
  for (const s of summaries) console.log(formatSummary(s));
  console.log(`report: ${path.resolve(out)}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(`jmeter/report: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
