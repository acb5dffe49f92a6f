/**
 * Charts for reports: data rows in, SVG text out, drawn by Vega-Lite
 * (compiled to a Vega spec) and rendered by Vega's headless View. No browser,
 * no canvas, no network: the SVG strings go straight into a self-contained
 * HTML page (`writeHtmlPage`). Used by jmeter/report.ts; written to serve the
 * benchmark and soak reports too.
 *
 * Every helper takes plain rows (objects of strings and numbers) and the
 * field names to plot, so the caller never writes a Vega-Lite spec; for
 * anything else, `renderSpec` takes a full spec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

export type Row = Readonly<Record<string, string | number | null>>;

export interface ChartOptions {
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
}

export interface XYOptions extends ChartOptions {
  readonly rows: readonly Row[];
  readonly x: string;
  readonly y: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Field whose values split the rows into coloured series. */
  readonly series?: string;
  readonly seriesTitle?: string;
  /** 'quantitative' (default) or 'temporal' (x holds epoch milliseconds). */
  readonly xType?: 'quantitative' | 'temporal' | 'ordinal';
  /** Logarithmic y: for latencies spanning orders of magnitude. */
  readonly yLog?: boolean;
  /** Draw the points as well as the line (sparse data, e.g. sweeps). */
  readonly points?: boolean;
  /**
   * Small multiples: one panel per value of this field (in row order),
   * `columns` per row, `width`/`height` per panel. For many runs, where one
   * line each on a shared plot would be unreadable.
   */
  readonly facet?: string;
  /** Panel order (default: as Vega sorts the values, i.e. alphabetically). */
  readonly facetOrder?: readonly string[];
  readonly columns?: number;
}

export interface BarOptions extends ChartOptions {
  readonly rows: readonly Row[];
  /** Category field (drawn on the y axis, one bar per value, in row order). */
  readonly category: string;
  readonly value: string;
  readonly categoryTitle?: string;
  readonly valueTitle?: string;
}

export interface HistogramOptions extends ChartOptions {
  /** Pre-binned rows: `[start, end)` bounds and a count, so a million samples stay small. */
  readonly rows: readonly Row[];
  readonly start: string;
  readonly end: string;
  readonly count: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Logarithmic y, so a tail of a few samples next to a peak of thousands stays visible (counts must be >= 1). */
  readonly yLog?: boolean;
}

const DEFAULT_WIDTH = 760;
const DEFAULT_HEIGHT = 260;

/** Shared look: readable in print and in a browser, no interactive parts. */
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  title: { fontSize: 15, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e4e4e4' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 280 },
  view: { stroke: '#cccccc' },
} as const;

type CompileLogger = NonNullable<NonNullable<Parameters<typeof compile>[1]>['logger']>;

/**
 * Vega-Lite's warnings on stderr, less one: a faceted layer whose panels
 * have their own scales (rangeBarChart: bar, whisker and label share one
 * axis through three fields) makes it warn that it unions "the same field
 * from a different fork of the same data source", which is exactly the case.
 */
const HARMLESS = /faceted independent scales that union domain/u;
const logger: CompileLogger = {
  level(): number { return 2; },
  error(...args: unknown[]) { process.stderr.write(`vega-lite: ${args.map(String).join(' ')}\n`); return this; },
  warn(...args: unknown[]) {
    const text = args.map(String).join(' ');
    if (!HARMLESS.test(text)) process.stderr.write(`vega-lite WARN ${text}\n`);
    return this;
  },
  info() { return this; },
  debug() { return this; },
};

/** Renders any Vega-Lite spec to an SVG string (the `config` above is merged in). */
export async function renderSpec(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const vegaSpec = compile(withConfig, { logger }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Lines over x, one per series value. */
export async function lineChart(o: XYOptions): Promise<string> {
  const mark = { type: 'line', point: o.points ?? false, strokeWidth: 1.8, interpolate: 'linear' };
  const encoding = {
    x: {
      field: o.x,
      type: o.xType ?? 'quantitative',
      title: o.xTitle ?? o.x,
      ...(o.xType === 'temporal' ? { axis: { format: '%H:%M:%S' } } : {}),
      ...(o.xType === 'ordinal' ? { sort: null } : {}),
    },
    y: {
      field: o.y,
      type: 'quantitative',
      title: o.yTitle ?? o.y,
      ...(o.yLog ? { scale: { type: 'log' } } : {}),
    },
    ...(o.series === undefined ? {} : { color: { field: o.series, type: 'nominal', title: o.seriesTitle ?? o.series, sort: null } }),
  };
  const data = { values: o.rows as Row[] };
  const spec = (o.facet === undefined
    ? { title: o.title, width: o.width ?? DEFAULT_WIDTH, height: o.height ?? DEFAULT_HEIGHT, data, mark, encoding }
    : {
      title: o.title,
      data,
      facet: { field: o.facet, type: 'nominal', title: null, ...(o.facetOrder === undefined ? {} : { sort: [...o.facetOrder] }) },
      columns: o.columns ?? 3,
      spec: { width: o.width ?? 220, height: o.height ?? 110, mark, encoding },
    }) as TopLevelSpec;
  return renderSpec(spec);
}

/** Horizontal bars, one per category, largest first when the rows are sorted so. */
export async function barChart(o: BarOptions): Promise<string> {
  // Vega measures text without a canvas, by an estimate that runs wide: be generous.
  const labelLimit = 900;
  const spec = {
    title: o.title,
    width: o.width ?? 360,
    height: o.height ?? { step: 22 },
    data: { values: o.rows as Row[] },
    layer: [
      { mark: { type: 'bar', color: '#c0392b' } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: o.value, type: 'quantitative' } } },
    ],
    encoding: {
      y: { field: o.category, type: 'nominal', sort: null, title: o.categoryTitle ?? o.category, axis: { labelLimit } },
      x: { field: o.value, type: 'quantitative', title: o.valueTitle ?? o.value },
    },
  } as TopLevelSpec;
  return renderSpec(spec);
}

export interface RangeBarOptions extends ChartOptions {
  readonly rows: readonly Row[];
  /** Category field: one bar per value, in row order, on the y axis. */
  readonly category: string;
  /** The bar's length (e.g. a median), and optional whisker ends (min, max). */
  readonly value: string;
  readonly low?: string;
  readonly high?: string;
  readonly categoryTitle?: string;
  readonly valueTitle?: string;
  /** d3-format of the value label at the end of each bar (default `.3~s`: 1.2k, 650k). */
  readonly format?: string;
  /** Logarithmic value axis; drawn as dots instead of bars (a bar has no zero to start from). */
  readonly valueLog?: boolean;
  /** A vertical reference line at this value (e.g. a ratio of 1). */
  readonly rule?: number;
  /** Small multiples: one panel per value of this field, each with its own scales. */
  readonly facet?: string;
  readonly facetOrder?: readonly string[];
  readonly columns?: number;
  /** Colour by this field (e.g. the server kind), the same colour in every panel. */
  readonly color?: string;
}

/**
 * Horizontal bars with min–max whiskers, one per category, optionally one
 * panel per facet value: for medians of repetitions side by side.
 */
export async function rangeBarChart(o: RangeBarOptions): Promise<string> {
  const x = {
    field: o.value,
    type: 'quantitative',
    title: o.valueTitle ?? o.value,
    ...(o.valueLog === true ? { scale: { type: 'log' } } : {}),
  };
  const y = { field: o.category, type: 'nominal', sort: null, title: o.categoryTitle ?? o.category, axis: { labelLimit: 600 } };
  const color = o.color === undefined
    ? { value: '#2e86c1' }
    : { field: o.color, type: 'nominal', title: o.color, sort: null };
  const layer: unknown[] = [
    o.valueLog === true
      ? { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color } }
      : { mark: { type: 'bar', height: { band: 0.7 } }, encoding: { x, y, color } },
  ];
  if (o.low !== undefined && o.high !== undefined) {
    layer.push({ mark: { type: 'rule', color: '#333333', strokeWidth: 1.2 }, encoding: { x: { ...x, field: o.low }, x2: { field: o.high }, y } });
  }
  layer.push({
    mark: { type: 'text', align: 'left', dx: 5, dy: -7, fontSize: 10, color: '#333333' },
    encoding: { x: o.high === undefined ? x : { ...x, field: o.high }, y, text: { field: o.value, type: 'quantitative', format: o.format ?? '.3~s' } },
  });
  if (o.rule !== undefined) {
    layer.push({ mark: { type: 'rule', color: '#c0392b', strokeDash: [4, 3] }, encoding: { x: { datum: o.rule } } });
  }
  const inner = { width: o.width ?? 300, height: o.height ?? { step: 20 }, layer };
  const data = { values: o.rows as Row[] };
  const spec = (o.facet === undefined
    ? { title: o.title, data, ...inner }
    : {
      title: o.title,
      data,
      facet: { field: o.facet, type: 'nominal', title: null, ...(o.facetOrder === undefined ? {} : { sort: [...o.facetOrder] }) },
      columns: o.columns ?? 2,
      spec: inner,
      resolve: { scale: { x: 'independent', y: 'independent' } },
    }) as TopLevelSpec;
  return renderSpec(spec);
}

/** Histogram from pre-binned rows (bars span [start, end)). */
export async function histogram(o: HistogramOptions): Promise<string> {
  const spec = {
    title: o.title,
    width: o.width ?? DEFAULT_WIDTH,
    height: o.height ?? DEFAULT_HEIGHT,
    data: { values: o.rows as Row[] },
    mark: { type: 'bar', color: '#2e86c1', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      // binned: the rows are bins already; x..x2 is each bar's extent.
      x: { field: o.start, type: 'quantitative', bin: { binned: true }, title: o.xTitle ?? o.start },
      x2: { field: o.end },
      y: {
        field: o.count,
        type: 'quantitative',
        title: o.yTitle ?? o.count,
        // A log scale has no zero: bars grow from 0.7 (just under a count of
        // 1) to a power of ten, with one tick per power of ten instead of nine.
        ...(o.yLog ? { scale: { type: 'log', domain: [0.7, Math.max(...powersOfTen(o.rows, o.count))] }, axis: { values: powersOfTen(o.rows, o.count) } } : {}),
      },
      ...(o.yLog ? { y2: { datum: 0.7 } } : {}),
    },
  } as TopLevelSpec;
  return renderSpec(spec);
}

function powersOfTen(rows: readonly Row[], field: string): number[] {
  const max = Math.max(1, ...rows.map((r) => Number(r[field] ?? 0)));
  const out: number[] = [];
  // 1, 10, ... up to the first power of ten at or above the largest count.
  for (let v = 1; ; v *= 10) { out.push(v); if (v >= max) break; }
  return out;
}

export interface Section {
  readonly title: string;
  /** An SVG string from the helpers above; omitted for text-only sections. */
  readonly svg?: string;
  /** Trusted HTML shown under the title (tables, notes). */
  readonly html?: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A whole self-contained page: inline CSS and SVG, no scripts, no external resources. */
export function htmlPage(title: string, sections: readonly Section[], intro = ''): string {
  const body = sections.map((s) => [
    '<section>',
    `<h2>${escapeHtml(s.title)}</h2>`,
    s.html ?? '',
    s.svg === undefined ? '' : `<figure>${s.svg}</figure>`,
    '</section>',
  ].join('\n')).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
figure { margin: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; }
td.text, th.text { text-align: left; }
p, li { font-size: 14px; line-height: 1.45; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
.bad { color: #c0392b; font-weight: bold; }
.good { color: #1e8449; font-weight: bold; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${intro}
${body}
</body>
</html>
`;
}

/** Writes `htmlPage(...)` to `file`, creating its folder; returns the absolute path. */
export function writeHtmlPage(file: string, title: string, sections: readonly Section[], intro = ''): string {
  const absolute = path.resolve(file);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  fs.writeFileSync(absolute, htmlPage(title, sections, intro));
  return absolute;
}

/** An HTML table from rows; columns in the order given, text columns left-aligned. */
export function htmlTable(columns: readonly string[], rows: readonly Row[], textColumns: readonly string[] = []): string {
  const cls = (c: string): string => (textColumns.includes(c) ? ' class="text"' : '');
  const head = columns.map((c) => `<th${cls(c)}>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td${cls(c)}>${escapeHtml(String(r[c] ?? ''))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
