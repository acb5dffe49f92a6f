/**
 * The HTML page of `npm run bench`: the targets, machine and method, one
 * table per cell, the ratios, the idle cost, and charts drawn with the same
 * Vega-Lite helpers as the JMeter report (profiling/lib/charts.ts).
 */
import type { BenchResults, CellSummary, RatioSummary } from './bench-results.js';
import { type Row, type Section, escapeHtml, htmlTable, rangeBarChart, writeHtmlPage } from './charts.js';
import { formatSpread } from './bench-stats.js';
import { machineLine } from './machine.js';

const cellName = (c: { scenario: string; job: string }): string => `${c.scenario}, ${c.job}`;

function summaryRows(rows: readonly CellSummary[]): Row[] {
  return rows.map((r) => ({
    'server': r.server,
    'req/s': formatSpread(r.metrics.rps),
    'p50 µs': formatSpread(r.metrics.p50Us),
    'p99 µs': formatSpread(r.metrics.p99Us),
    'p99.9 µs': formatSpread(r.metrics.p999Us),
    'CPU s / 1000 req': formatSpread(r.metrics.cpuSPer1000),
    'peak RSS MiB': formatSpread(r.metrics.peakRssMiB, (n) => n.toFixed(0)),
    'client CPU %': formatSpread(r.metrics.clientCpuPct, (n) => n.toFixed(0)),
    'errors': `${r.errors}${r.wrong > 0 ? ` (WRONG ${r.wrong})` : ''}${r.failures > 0 ? ` (FAILED ${r.failures})` : ''}`,
  }));
}

function ratioRows(rows: readonly RatioSummary[]): Row[] {
  return rows.map((r) => ({
    'ringpool / peer': `${r.ringpool} / ${r.peer}`,
    'req/s ratio': formatSpread(r.rps, (n) => `${n.toFixed(2)}x`),
    'p99 ratio': formatSpread(r.p99, (n) => `${n.toFixed(2)}x`),
  }));
}

/** Rows for a metric chart: one per cell and server, with the spread as whiskers. */
function chartRows(res: BenchResults, metric: 'rps' | 'p99Us' | 'cpuSPer1000'): Row[] {
  return res.summaries.filter((s) => s.metrics[metric].n > 0).map((s) => ({
    cell: cellName(s),
    server: s.server,
    kind: s.kind,
    value: s.metrics[metric].median,
    low: s.metrics[metric].min,
    high: s.metrics[metric].max,
  }));
}

export async function writeBenchReport(file: string, res: BenchResults): Promise<string> {
  const cells = [...new Set(res.summaries.map(cellName))];
  const sections: Section[] = [];

  sections.push({
    title: 'Targets (issue 7)',
    html: `<p>ringpool with 2 workers and its default <code>--ack written</code>; measured = median of the per-repetition ratios (min–max).</p>`
      + htmlTable(['target', 'threshold', 'measured', 'result', 'note'], res.targets.map((t) => ({
        target: t.target, threshold: t.threshold, measured: t.measured,
        result: t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED', note: t.note,
      })), ['target', 'note'])
      .replace(/<td>MISSED<\/td>/gu, '<td class="bad">MISSED</td>').replace(/<td>met<\/td>/gu, '<td class="good">met</td>'),
  });

  const metricCharts = [
    { metric: 'rps', title: 'Throughput (req/s), median with min–max', chart: 'Requests per second, one panel per scenario and job (each panel its own scale)', axis: 'req/s', format: '.3~s' },
    { metric: 'p99Us', title: 'p99 latency (µs), median with min–max', chart: 'p99 latency in µs (closed loop, at saturation), one panel per scenario and job', axis: 'p99 µs', format: '.3~s' },
    { metric: 'cpuSPer1000', title: 'Server CPU seconds per 1000 requests (all threads)', chart: 'CPU seconds per 1000 requests, one panel per scenario and job', axis: 'CPU s / 1000 requests', format: '.3~g' },
  ] as const;
  for (const m of metricCharts) {
    sections.push({
      title: m.title,
      svg: await rangeBarChart({
        title: m.chart, rows: chartRows(res, m.metric), category: 'server', value: 'value', low: 'low', high: 'high',
        facet: 'cell', facetOrder: cells, columns: 2, color: 'kind', categoryTitle: '', valueTitle: m.axis, width: 300, format: m.format,
      }),
    });
  }
  const ratioChartRows: Row[] = res.ratios.filter((r) => r.rps.n > 0).map((r) => ({
    cell: cellName(r), pair: `${r.ringpool} / ${r.peer}`, value: r.rps.median, low: r.rps.min, high: r.rps.max,
  }));
  if (ratioChartRows.length > 0) {
    sections.push({
      title: 'ringpool ÷ peer, req/s (log scale; the dashed line is 1x)',
      svg: await rangeBarChart({
        title: 'req/s ratio, ringpool over each peer (right of the line: ringpool faster)',
        rows: ratioChartRows, category: 'pair', value: 'value', low: 'low', high: 'high', valueLog: true, rule: 1,
        facet: 'cell', facetOrder: cells, columns: 2, categoryTitle: '', valueTitle: 'ratio', width: 300, format: '.2f',
      }),
    });
  }

  for (const cell of cells) {
    const rows = res.summaries.filter((s) => cellName(s) === cell);
    const rs = res.ratios.filter((r) => cellName(r) === cell);
    sections.push({
      title: `Table: ${cell}`,
      html: htmlTable(['server', 'req/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'CPU s / 1000 req', 'peak RSS MiB', 'client CPU %', 'errors'], summaryRows(rows), ['server'])
        + (rs.length === 0 ? '' : htmlTable(['ringpool / peer', 'req/s ratio', 'p99 ratio'], ratioRows(rs), ['ringpool / peer'])),
    });
  }

  if (res.idle.length > 0) {
    sections.push({
      title: `Idle cost: CPU with no traffic, median of ${res.idle[0]!.windowsPct.length} windows of ${res.idle[0]!.seconds.toFixed(1)} s`,
      html: htmlTable(['server', 'CPU ms', '% of one core', 'every window, %', 'command'], res.idle.map((i) => ({
        'server': i.server, 'CPU ms': (i.cpuS * 1000).toFixed(1), '% of one core': i.pctOfCore.toFixed(3),
        'every window, %': i.windowsPct.map((p) => p.toFixed(3)).join(' '), 'command': i.command,
      })), ['server', 'every window, %', 'command']),
      svg: await rangeBarChart({
        title: 'Idle CPU, % of one core (the dashed line is the 0.2% target)',
        rows: res.idle.map((i) => ({ server: i.server, value: i.pctOfCore })), category: 'server', value: 'value', rule: 0.2,
        categoryTitle: '', valueTitle: '% of one core', width: 420, format: '.3f',
      }),
    });
  }

  const notes = res.runs.filter((r) => r.failure !== null || r.notes.length > 0);
  if (notes.length > 0) {
    sections.push({
      title: 'Notes from the runs',
      html: `<ul>${notes.map((r) => `<li>${escapeHtml(`${r.scenario}/${r.job} ${r.server} rep ${r.rep + 1}: ${[r.failure, ...r.notes].filter((n) => n !== null).join('; ')}`)}</li>`).join('')}</ul>`,
    });
  }

  const intro = `<p>${escapeHtml(`${res.startedAt}, ${res.elapsedS.toFixed(0)} s. Machine: ${machineLine(res.machine)} at start; ${res.loadAverageEnd.join(' ')} at end.`)}</p>`
    + `<p>Method:</p><ul>${res.method.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul>`
    + (res.skipped.length === 0 ? '' : `<p class="bad">Skipped: ${escapeHtml(res.skipped.join('; '))}</p>`);
  return writeHtmlPage(file, 'ringpool against its peers', sections, intro);
}
