/**
 * `npm run experiment -- atomics-costs`: what Atomics.wait, notify and
 * waitAsync cost in Node (native-queue/experiments/atomics-costs.ts), the
 * figures behind the study guide's first section.
 */
import { formatNumber, formatSpread, textTable } from '../lib/bench-stats.js';
import { rangeBarChart } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, get, ratio, runRingExperiment, spreadRow } from './experiment-kit.js';
import type { AtomicsCostsResult } from '../../native-queue/experiments/atomics-costs.js';

async function run(o: RunOptions): Promise<ExperimentReport> {
  const r = await runRingExperiment<AtomicsCostsResult>('atomics-costs', o);
  const ns = bySpread(r.runs, (x) => x.what, (x) => x.ns);
  const slept = bySpread(r.runs, (x) => x.what, (x) => x.sleptShare);
  const order = [...ns.keys()];
  const rows = order.map((what) => {
    const s = get(slept, what);
    return [what, formatSpread(get(ns, what)), s.n === 0 ? '' : `${Math.round(s.median * 100)}%`];
  });
  const notifyIdle = get(ns, 'notify, nobody waiting');
  const wakes = get(ns, 'notify that wakes a sleeping thread');
  const ww = get(ns, 'wait/notify round trip, worker ⇄ worker');
  const mw = get(ns, 'waitAsync/wait round trip, main ⇄ worker');
  const svg = await rangeBarChart({
    title: 'What Atomics cost in Node (V8): ns per call, median of repetitions, min–max whiskers (log scale)',
    rows: order.map((what) => spreadRow({ what }, get(ns, what))),
    category: 'what', value: 'median', low: 'min', high: 'max', valueLog: true,
    categoryTitle: '', valueTitle: 'nanoseconds (log)', format: ',.0f', width: 420,
  });
  return {
    method: `${r.reps} repetitions; single-thread figures are the best of 3 rounds of ${formatNumber(r.calls)} calls each `
      + `(noise only adds time), hand-offs ${formatNumber(r.roundTrips)} round trips between two threads with no spinning.`,
    tables: [{ caption: 'ns per call or per round trip, median (min–max); "slept": share of turns on which the waiting side really slept', text: textTable(['operation', 'ns', 'slept'], rows) }],
    keyFigures: [
      `a notify with nobody waiting costs ${formatNumber(notifyIdle.median)} ns; one that wakes a sleeper ${formatNumber(wakes.median)} ns (${ratio(wakes, notifyIdle)})`,
      `a wait → notify round trip between two workers: ${formatNumber(ww.median / 1000)} µs; main thread on waitAsync ⇄ worker: ${formatNumber(mw.median / 1000)} µs (${ratio(mw, ww)})`,
    ],
    charts: [{ file: 'atomics-costs', title: 'Atomics costs', svg }],
    raw: r,
    runQueueWait: r.runQueueWait === null ? null : { median: r.runQueueWait, min: r.runQueueWait, max: r.runQueueWait, n: 1 },
  };
}

export const atomicsCosts: Experiment = { name: 'atomics-costs', title: 'What Atomics.wait, notify and waitAsync cost', run };
