/**
 * `npm run experiment -- notify-policy`: (d) of issue #9, notify always
 * against notify only when a waiter may sleep
 * (native-queue/experiments/notify-policy.ts, variants in notify-variants.ts).
 */
import { formatSpread, textTable } from '../lib/bench-stats.js';
import { type Row, rangeBarChart } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, contention, get, percent, ratio, retryNote, runRingExperiment, spreadRow } from './experiment-kit.js';
import type { NotifyPolicyResult, NotifyRun } from '../../native-queue/experiments/notify-policy.js';

const POLICY_LABEL: Readonly<Record<string, string>> = {
  'when-sleeping': 'once per sleep (package)',
  'when-waiters': 'while a waiter is set',
  'always': 'always',
};

async function run(o: RunOptions): Promise<ExperimentReport> {
  const r = await runRingExperiment<NotifyPolicyResult>('notify-policy', o);
  const key = (x: NotifyRun): string => `${x.workload}|${x.policy}`;
  const rate = bySpread(r.runs, key, (x) => x.msgsPerS);
  const cpu = bySpread(r.runs, key, (x) => x.cpuNsPerRecord);
  const notifies = bySpread(r.runs, key, (x) => x.notifiesPerK);
  const sleeps = bySpread(r.runs, key, (x) => x.sleepsPerK);
  const spurious = bySpread(r.runs, key, (x) => x.spuriousPerK);
  const wait = bySpread(r.runs, key, (x) => x.runQueueWait);
  const workloads = [...new Set(r.runs.map((x) => x.workload))];
  const policies = Object.keys(POLICY_LABEL);
  const keys = workloads.flatMap((w) => policies.map((p) => `${w}|${p}`));
  const table = textTable(
    ['workload', 'notify', 'records/s', 'CPU ns/record', 'notifies/1000', 'sleeps/1000', 'spurious/1000', 'CPU wait'],
    keys.map((k) => {
      const [w, p] = k.split('|') as [string, string];
      return [w, p, formatSpread(get(rate, k)), formatSpread(get(cpu, k)), formatSpread(get(notifies, k)), formatSpread(get(sleeps, k)), formatSpread(get(spurious, k)), formatSpread(get(wait, k), percent)];
    }));
  const rows: Row[] = keys.flatMap((k) => {
    const [w, p] = k.split('|') as [string, string];
    const fields = { category: `${w} · ${p}`, policy: POLICY_LABEL[p]! };
    return [
      spreadRow({ ...fields, figure: 'records per second' }, get(rate, k)),
      spreadRow({ ...fields, figure: 'CPU per record, all threads (ns)' }, get(cpu, k)),
      spreadRow({ ...fields, figure: 'Atomics.notify calls per 1000 records' }, get(notifies, k)),
    ];
  });
  const svg = await rangeBarChart({
    title: 'When to call Atomics.notify (median of repetitions, min–max whiskers)',
    rows, category: 'category', value: 'median', low: 'min', high: 'max', categoryTitle: '', valueTitle: 'median of repetitions', format: ',.3~r',
    facet: 'figure', columns: 1, color: 'policy', width: 420,
    facetOrder: ['records per second', 'CPU per record, all threads (ns)', 'Atomics.notify calls per 1000 records'],
  });
  const keyFigures = workloads.map((w) => {
    const pkg = get(rate, `${w}|when-sleeping`);
    return `${w}: package ${Math.round(pkg.median).toLocaleString('en-US')} records/s; always ${ratio(get(rate, `${w}|always`), pkg)} of it, `
      + `when-waiters ${ratio(get(rate, `${w}|when-waiters`), pkg)}; CPU per record always/package ${ratio(get(cpu, `${w}|always`), get(cpu, `${w}|when-sleeping`))}`;
  });
  return {
    method: `${r.reps} repetitions, policies in a rotated order within each workload. ${r.payload}-byte self-checked records `
      + `(every one verified: none lost, duplicated or reordered), ${r.recordsPerProducer.toLocaleString('en-US')} records per trial, `
      + `${r.capacity / 1024} KiB ring, spin budget ${r.spin}. SPMC consumers take one record per CAS (as workers do); the MPSC consumer drains `
      + 'everything it finds (as the writer does). The rings are the package\'s; the variants override only the waking method (notify-variants.ts). ' + retryNote(r.runs),
    tables: [{ caption: 'per workload and policy: median (min–max)', text: table }],
    keyFigures,
    charts: [{ file: 'notify-policy', title: 'Notify policy', svg }],
    raw: r,
    runQueueWait: contention(r.runs),
  };
}

export const notifyPolicy: Experiment = { name: 'notify-policy', title: 'Notify always against notify only when a waiter sleeps', run };
