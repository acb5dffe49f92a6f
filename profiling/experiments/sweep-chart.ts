/**
 * The chart of a parameter sweep (worker count, capacity, spin budget): one
 * panel per measured figure, the parameter along x, the median of the
 * repetitions as a line with points, min and max as a whisker at each
 * point, one colour per series. Panels have their own y scale (requests per
 * second next to milliseconds). Built on lib/charts.ts's renderSpec.
 *
 * Rows are long-format: { x, panel, series, median, min, max }.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Row, renderSpec } from '../lib/charts.js';

export interface SweepChartOptions {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly xTitle: string;
  /**
   * 'ordinal': x values are labels, kept in row order (capacities as "4 KiB",
   * budgets that include 0); 'quantitative': numbers on a linear axis.
   */
  readonly xType: 'ordinal' | 'quantitative';
  readonly seriesTitle: string;
  /** Panel order (default: first seen). */
  readonly panels?: readonly string[];
  readonly columns?: number;
  /** Each x axis its own (panels of different sweeps in one chart). */
  readonly independentX?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export async function sweepChart(o: SweepChartOptions): Promise<string> {
  const panels = o.panels ?? [...new Set(o.rows.map((r) => String(r['panel'])))];
  const xOrder = [...new Set(o.rows.map((r) => r['x']))];
  const x = {
    field: 'x', type: o.xType, title: o.xTitle,
    ...(o.xType === 'ordinal' ? { sort: xOrder, axis: { labelAngle: 0 } } : {}),
  };
  const color = { field: 'series', type: 'nominal', title: o.seriesTitle, sort: null };
  const spec = {
    title: o.title,
    data: { values: o.rows as Row[] },
    facet: { field: 'panel', type: 'nominal', title: null, sort: [...panels], header: { labelFontSize: 12, labelAnchor: 'start' } },
    columns: o.columns ?? 2,
    spec: {
      width: o.width ?? 300,
      height: o.height ?? 170,
      layer: [
        {
          mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 1.8 },
          encoding: { x, y: { field: 'median', type: 'quantitative', title: null, scale: { zero: true } }, color },
        },
        {
          mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.7 },
          encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' }, color },
        },
      ],
    },
    resolve: { scale: { y: 'independent', ...(o.independentX === true ? { x: 'independent' } : {}) } },
  } as TopLevelSpec;
  return renderSpec(spec);
}
