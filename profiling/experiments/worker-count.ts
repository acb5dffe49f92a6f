/**
 * `npm run experiment -- worker-count`: (a) of issue #9, throughput and p99
 * against the number of worker threads, on the real server.
 *
 * The real server and not the ring alone: a worker count only means
 * something with the work a worker does per job (decode the record, run the
 * job, publish a completion and a log record) and with the two other
 * threads it shares the cores with (the main thread producing jobs and
 * sending answers, the writer thread writing the log). The ring-alone
 * equivalent, consumers of an SpmcRing, is in the ring-capacity and
 * notify-policy experiments (1 and 2 consumers).
 *
 * Per repetition, for each job and each worker count (rotated): a fresh
 * server (server-trial.ts), then two load phases on the line protocol:
 *   pipelined   8 connections x 64 requests in flight: throughput
 *   depth 1     16 connections x 1 request in flight: latency when the
 *               server is not buried under its own queue
 * Jobs: the bare prime-count job, and --job-work 12000 (about 20 µs of
 * JavaScript per message, as in `npm run bench`).
 */
import { formatSpread, textTable } from '../lib/bench-stats.js';
import type { Row } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, get, ratio, spreadRow } from './experiment-kit.js';
import { type LoadPhase, type PhaseResult, serverTrialRetried } from './server-trial.js';
import { sweepChart } from './sweep-chart.js';

const JOBS = [
  { name: 'bare job', work: 0 },
  { name: 'job + ~20 µs CPU', work: 12_000 },
] as const;

interface WorkerRun extends PhaseResult {
  readonly job: string;
  readonly workers: number;
  readonly rep: number;
}

function phases(quick: boolean): LoadPhase[] {
  const warmupS = quick ? 0.2 : 0.5;
  const durationS = quick ? 0.7 : 2.5;
  return [
    { name: 'pipelined 8×64', connections: 8, depth: 64, warmupS, durationS },
    { name: 'depth 1, 16 connections', connections: 16, depth: 1, warmupS, durationS },
  ];
}

async function run(o: RunOptions): Promise<ExperimentReport> {
  const counts = o.quick ? [1, 2, 4] : [1, 2, 3, 4, 6, 8];
  const reps = o.reps ?? (o.quick ? 1 : 3);
  const load = phases(o.quick);
  const runs: WorkerRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const job of JOBS) {
      for (let k = 0; k < counts.length; k++) {
        const workers = counts[(k + rep) % counts.length]!;
        const results = await serverTrialRetried({ workers, jobWork: job.work, jobRingBytes: 1 << 20 }, load, failures);
        for (const r of results) runs.push({ ...r, job: job.name, workers, rep });
      }
    }
  }
  const key = (x: WorkerRun): string => `${x.job}|${x.phase}|${x.workers}`;
  const rps = bySpread(runs, key, (x) => x.rps);
  const p50 = bySpread(runs, key, (x) => x.p50Us / 1000);
  const p99 = bySpread(runs, key, (x) => x.p99Us / 1000);
  const cpu = bySpread(runs, key, (x) => x.cpuUsPerRequest);
  const sleeps = bySpread(runs, key, (x) => x.workerSleepsPerK);
  const table = textTable(['job', 'load', 'workers', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU µs/request', 'worker sleeps/1000'],
    JOBS.flatMap((j) => load.flatMap((p) => counts.map((w) => {
      const k = `${j.name}|${p.name}|${w}`;
      return [j.name, p.name, String(w), formatSpread(get(rps, k)), formatSpread(get(p50, k)), formatSpread(get(p99, k)),
        formatSpread(get(cpu, k)), formatSpread(get(sleeps, k))];
    }))));
  const panels = load.flatMap((p) => [`requests/s, ${p.name}`, `p99 latency (ms), ${p.name}`]);
  const rows: Row[] = JOBS.flatMap((j) => load.flatMap((p) => counts.flatMap((w) => {
    const k = `${j.name}|${p.name}|${w}`;
    return [
      spreadRow({ x: w, panel: `requests/s, ${p.name}`, series: j.name }, get(rps, k)),
      spreadRow({ x: w, panel: `p99 latency (ms), ${p.name}`, series: j.name }, get(p99, k)),
    ];
  })));
  const svg = await sweepChart({
    title: 'Worker threads: the real server on 2 cores (median, min–max whiskers)',
    rows, xTitle: 'worker threads (--workers)', xType: 'quantitative', seriesTitle: 'job', panels,
  });
  const keyFigures = JOBS.flatMap((j) => load.map((p) => {
    const at = (w: number): string => `${j.name}|${p.name}|${w}`;
    const best = counts.reduce((b, w) => (get(rps, at(w)).median > get(rps, at(b)).median ? w : b), counts[0]!);
    return `${j.name}, ${p.name}: most requests/s with ${best} worker(s); ${counts.at(-1)} workers give ${ratio(get(rps, at(counts.at(-1)!)), get(rps, at(best)))} `
      + `of that, p99 ${formatSpread(get(p99, at(counts.at(-1)!)))} ms against ${formatSpread(get(p99, at(best)))} ms`;
  }));
  return {
    method: `${reps} repetitions; per repetition, job and worker count (rotated): a fresh ringpool (--job-ring-bytes 1 MiB, --ack written, `
      + `line listener), ${load[0]!.warmupS} s warm-up then ${load[0]!.durationS} s measured per load phase, every answer checked, the log `
      + 'checked to hold every answer after SIGTERM. The load client runs in this process, on the same 2 cores as the server.',
    tables: [{ caption: 'per job, load and worker count: median (min–max)', text: table }],
    keyFigures: [...keyFigures, ...failures.map((f) => `FAILED trial (repeated): ${f}`)],
    charts: [{ file: 'worker-count', title: 'Worker count', svg }],
    raw: { counts, reps, phases: load, jobs: JOBS, runs, failures },
    runQueueWait: null,
  };
}

export const workerCount: Experiment = { name: 'worker-count', title: 'Throughput and p99 against worker count (real server)', run };
