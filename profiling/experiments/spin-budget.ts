/**
 * `npm run experiment -- spin-budget`: (c) of issue #9, the rings' `spin`
 * option, how many re-checks a blocking wait makes before Atomics.wait
 * (native-queue/experiments/spin-budget.ts). A ring experiment: the server
 * has no flag for it (its workers use 200, src/worker.ts).
 */
import { formatNumber, formatSpread, textTable } from '../lib/bench-stats.js';
import type { Row } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, contention, get, percent, retryNote, runRingExperiment, spreadRow } from './experiment-kit.js';
import { sweepChart } from './sweep-chart.js';
import type { SpinBudgetResult, SpinRun } from '../../native-queue/experiments/spin-budget.js';

const PANELS = [
  'ping-pong round trip (µs)',
  'ping-pong CPU per round trip, both threads (µs)',
  'streaming SPMC 1→2: records/s',
  'streaming SPMC 1→2: CPU per record (ns)',
] as const;

async function run(o: RunOptions): Promise<ExperimentReport> {
  const r = await runRingExperiment<SpinBudgetResult>('spin-budget', o);
  const key = (x: SpinRun): string => String(x.spin);
  const p50 = bySpread(r.runs, key, (x) => x.p50Us);
  const p99 = bySpread(r.runs, key, (x) => x.p99Us);
  const cpu = bySpread(r.runs, key, (x) => x.cpuUsPerRoundTrip);
  const rate = bySpread(r.runs, key, (x) => x.streamMsgsPerS);
  const scpu = bySpread(r.runs, key, (x) => x.streamCpuNsPerRecord);
  const sleeps = bySpread(r.runs, key, (x) => x.streamSleepsPerK);
  const ppWait = bySpread(r.runs, key, (x) => x.pingPongRunQueueWait);
  const sWait = bySpread(r.runs, key, (x) => x.runQueueWait);
  const spins = r.spins.map(String);
  const asUs = (spin: number): string => formatNumber((spin * r.nsPerSpinCheck) / 1000);
  const table = textTable(
    ['spin', '≈ µs', 'p50 µs', 'p99 µs', 'CPU µs/round trip', 'CPU wait', 'stream records/s', 'stream CPU ns/record', 'sleeps/1000', 'CPU wait'],
    r.spins.map((spin) => {
      const k = String(spin);
      return [k, asUs(spin), formatSpread(get(p50, k)), formatSpread(get(p99, k)), formatSpread(get(cpu, k)), formatSpread(get(ppWait, k), percent),
        formatSpread(get(rate, k)), formatSpread(get(scpu, k)), formatSpread(get(sleeps, k)), formatSpread(get(sWait, k), percent)];
    }));
  const rows: Row[] = r.spins.flatMap((spin) => {
    const k = String(spin);
    return [
      spreadRow({ x: k, panel: PANELS[0], series: 'p50' }, get(p50, k)),
      spreadRow({ x: k, panel: PANELS[0], series: 'p99' }, get(p99, k)),
      spreadRow({ x: k, panel: PANELS[1], series: 'CPU' }, get(cpu, k)),
      spreadRow({ x: k, panel: PANELS[2], series: 'throughput' }, get(rate, k)),
      spreadRow({ x: k, panel: PANELS[3], series: 'CPU' }, get(scpu, k)),
    ];
  });
  const svg = await sweepChart({
    title: 'Spin before sleep: re-checks before Atomics.wait (median, min–max whiskers)',
    rows, xTitle: 'spin budget (re-checks)', xType: 'ordinal', seriesTitle: 'figure', panels: PANELS,
  });
  const best = [...p50].sort((a, b) => a[1].median - b[1].median)[0]!;
  return {
    method: `${r.reps} repetitions, budgets in a rotated order. Ping-pong: two threads, two SpmcRings, one 4-byte message in flight, `
      + `${r.pingPongBudgetMs} ms per budget after 2000 warm-up round trips. Streaming: SpmcRing, 1 producer flat out, 2 consumers `
      + `taking one record per CAS, ${formatNumber(r.streamRecords)} records of 64 B, 64 KiB ring. One re-check costs `
      + `≈ ${r.nsPerSpinCheck.toFixed(1)} ns on this machine (the "≈ µs" column). `
      + retryNote([...r.runs.map((x) => ({ attempts: x.pingPongAttempts })), ...r.runs.map((x) => ({ attempts: x.streamAttempts }))]),
    tables: [{ caption: 'per spin budget: median (min–max) of the repetitions', text: table }],
    keyFigures: [
      `lowest ping-pong p50: spin ${best[0]} (${formatNumber(best[1].median)} µs); spin 0: ${formatNumber(get(p50, spins[0]!).median)} µs`
        + `, spin ${spins.at(-1)}: ${formatNumber(get(p50, spins.at(-1)!).median)} µs`,
      `streaming sleeps per 1000 records: spin 0 ${formatNumber(get(sleeps, spins[0]!).median)}, spin ${spins.at(-1)} ${formatNumber(get(sleeps, spins.at(-1)!).median)}`,
    ],
    charts: [{ file: 'spin-budget', title: 'Spin budget', svg }],
    raw: r,
    runQueueWait: contention([...r.runs, ...r.runs.map((x) => ({ runQueueWait: x.pingPongRunQueueWait }))]),
  };
}

export const spinBudget: Experiment = { name: 'spin-budget', title: 'Spin-before-sleep budget: latency, CPU and throughput', run };
