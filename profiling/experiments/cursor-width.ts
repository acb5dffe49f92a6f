/**
 * `npm run experiment -- cursor-width`: (f) of issue #9, 32-bit against
 * 64-bit cursors (native-queue/experiments/cursor-width.ts): the cost of each
 * cursor operation on one thread, and a minimal SPSC ring's throughput.
 */
import { formatSpread, textTable } from '../lib/bench-stats.js';
import { type Row, rangeBarChart } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, contention, get, percent, ratio, retryNote, runRingExperiment, spreadRow } from './experiment-kit.js';
import type { CursorWidthResult } from '../../native-queue/experiments/cursor-width.js';

const KIND_LABEL: Readonly<Record<string, string>> = {
  int32: 'Int32, number math (package)',
  bigint: 'BigInt64, BigInt math',
  number: 'BigInt64, as number',
};
const THROUGHPUT = 'SPSC ring throughput (values/s)';

async function run(o: RunOptions): Promise<ExperimentReport> {
  const r = await runRingExperiment<CursorWidthResult>('cursor-width', o);
  const kinds = Object.keys(KIND_LABEL);
  const ops: readonly string[] = [...new Set(r.opCosts.map((c) => c.op))];
  const cost = bySpread(r.opCosts, (c) => `${c.op}|${c.kind}`, (c) => c.nsPerOp);
  const rate = bySpread(r.runs, (x) => x.kind, (x) => x.msgsPerS);
  const opTable = textTable(['operation', ...kinds], ops.map((op) => [op, ...kinds.map((k) => formatSpread(get(cost, `${op}|${k}`)))]));
  const wait = bySpread(r.runs, (x) => x.kind, (x) => x.runQueueWait);
  const rateTable = textTable(['cursor', 'values/s', 'CPU wait'], kinds.map((k) => [KIND_LABEL[k]!, formatSpread(get(rate, k)), formatSpread(get(wait, k), percent)]));
  const rows: Row[] = [
    ...ops.flatMap((op) => kinds.map((k) => spreadRow({ figure: `${op} (ns per operation)`, kind: KIND_LABEL[k]! }, get(cost, `${op}|${k}`)))),
    ...kinds.map((k) => spreadRow({ figure: THROUGHPUT, kind: KIND_LABEL[k]! }, get(rate, k))),
  ];
  const svg = await rangeBarChart({
    title: '32-bit against 64-bit cursors (median of repetitions, min–max whiskers)',
    rows, category: 'kind', value: 'median', low: 'min', high: 'max', categoryTitle: '', valueTitle: 'median of repetitions', format: ',.3~r',
    facet: 'figure', facetOrder: [...ops.map((op) => `${op} (ns per operation)`), THROUGHPUT], columns: 2, color: 'kind', width: 230,
  });
  return {
    method: `${r.reps} repetitions. Operation costs: one thread, uncontended, ${r.opIterations.toLocaleString('en-US')} iterations, best of 3 `
      + 'rounds after a warm-up, an empty loop subtracted (the line stays in this core\'s cache: the price of moving it between cores comes on top). '
      + `Throughput: the minimal SPSC ring (cursors 128 B apart, cached remote cursors), ${r.count.toLocaleString('en-US')} values, `
      + '1 producer thread, 1 consumer thread, busy-polling; 32-bit cursors start below 2^31, 64-bit ones past 2^32. ' + retryNote(r.runs),
    tables: [
      { caption: 'ns per operation, median (min–max)', text: opTable },
      { caption: 'minimal SPSC ring, values per second, median (min–max)', text: rateTable },
    ],
    keyFigures: [
      ...['load', 'store', 'compare-exchange'].filter((op) => ops.includes(op)).map((op) =>
        `${op}: BigInt ${ratio(get(cost, `${op}|bigint`), get(cost, `${op}|int32`))}, converted number ${ratio(get(cost, `${op}|number`), get(cost, `${op}|int32`))} of Int32's ns`),
      `SPSC throughput: BigInt cursors ${ratio(get(rate, 'bigint'), get(rate, 'int32'))}, converted number ${ratio(get(rate, 'number'), get(rate, 'int32'))} of Int32's`,
    ],
    charts: [{ file: 'cursor-width', title: 'Cursor width', svg }],
    raw: r,
    runQueueWait: contention(r.runs),
  };
}

export const cursorWidth: Experiment = { name: 'cursor-width', title: '32-bit against 64-bit cursors', run };
