/**
 * `npm run experiment -- cursor-padding`: (e) of issue #9, padded against
 * unpadded cursors (false sharing), in the package's rings and in a minimal
 * SPSC ring (native-queue/experiments/cursor-padding.ts).
 */
import { formatSpread, textTable } from '../lib/bench-stats.js';
import { type Row, rangeBarChart } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, contention, get, percent, ratio, retryNote, runRingExperiment, spreadRow } from './experiment-kit.js';
import type { PackagePaddingRun, PaddingResult, PaddingRun } from '../../native-queue/experiments/cursor-padding.js';

const STRIDE_LABEL: Readonly<Record<number, string>> = {
  4: '4 B apart (one cache line)',
  64: '64 B apart (adjacent lines)',
  128: '128 B apart (package)',
};

async function run(o: RunOptions): Promise<ExperimentReport> {
  const r = await runRingExperiment<PaddingResult>('cursor-padding', o);
  const strides = [...new Set(r.runs.map((x) => x.strideBytes))].sort((a, b) => a - b);
  const pkey = (x: PackagePaddingRun): string => `${x.workload} (package ring)|${x.strideBytes}`;
  const skey = (x: PaddingRun): string => `minimal SPSC, ${x.cacheRemote ? 'cached' : 'uncached'} remote cursor|${x.strideBytes}`;
  const rate = new Map([...bySpread(r.packageRuns, pkey, (x) => x.msgsPerS), ...bySpread(r.runs, skey, (x) => x.msgsPerS)]);
  const cpu = bySpread(r.packageRuns, pkey, (x) => x.cpuNsPerRecord);
  const wait = new Map([...bySpread(r.packageRuns, pkey, (x) => x.runQueueWait), ...bySpread(r.runs, skey, (x) => x.runQueueWait)]);
  const rings = [...new Set([...rate.keys()].map((k) => k.split('|')[0]!))];
  const table = textTable(['ring', 'cursors', 'records/s', 'CPU ns/record', 'CPU wait'],
    rings.flatMap((ring) => strides.map((s) => {
      const k = `${ring}|${s}`;
      const c = cpu.get(k);
      return [ring, STRIDE_LABEL[s] ?? `${s} B`, formatSpread(get(rate, k)), c === undefined ? '' : formatSpread(c), formatSpread(get(wait, k), percent)];
    })));
  const rows: Row[] = rings.flatMap((ring) => strides.map((s) => spreadRow({ ring, stride: STRIDE_LABEL[s] ?? `${s} B` }, get(rate, `${ring}|${s}`))));
  const svg = await rangeBarChart({
    title: 'Cursors on one cache line or apart: records per second (median, min–max whiskers)',
    rows, category: 'stride', value: 'median', low: 'min', high: 'max', categoryTitle: '', valueTitle: 'records per second',
    facet: 'ring', facetOrder: rings, columns: 2, color: 'stride', width: 260,
  });
  return {
    method: `${r.reps} repetitions, variants in a rotated order. Package rings: ${r.records.toLocaleString('en-US')} self-checked records of `
      + `${r.payload} B, 1 producer thread → 1 consumer thread, ${r.capacity / 1024} KiB ring, spin ${r.spin}; the variants are the compiled `
      + `package with only READ and RELEASE moved (layout-variant.ts). Minimal SPSC ring: ${r.count.toLocaleString('en-US')} 8-byte values, `
      + `${r.slots} slots, busy-polling. "CPU wait": share of the trial the busier thread sat runnable without a CPU (other load on the machine). ${retryNote([...r.packageRuns, ...r.runs])}`,
    tables: [{ caption: 'per ring and cursor distance: median (min–max)', text: table }],
    keyFigures: rings.map((ring) => `${ring}: one line vs 128 B apart ${ratio(get(rate, `${ring}|4`), get(rate, `${ring}|128`))}, `
      + `64 B vs 128 B ${ratio(get(rate, `${ring}|64`), get(rate, `${ring}|128`))} (records/s)`),
    charts: [{ file: 'cursor-padding', title: 'Cursor padding', svg }],
    raw: r,
    runQueueWait: contention([...r.packageRuns, ...r.runs]),
  };
}

export const cursorPadding: Experiment = { name: 'cursor-padding', title: 'Padded against unpadded cursors (false sharing)', run };
