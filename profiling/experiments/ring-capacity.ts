/**
 * `npm run experiment -- ring-capacity`: (b) of issue #9, throughput and p99
 * against ring capacity. Two parts, because the answer differs:
 *
 * 1. the ring alone (native-queue/experiments/ring-capacity.ts): streaming
 *    flat out through SpmcRing and MpscRing from 256 B to 1 MiB, where
 *    capacity decides how often a producer finds the ring full and sleeps;
 * 2. the real server with --job-ring-bytes from 4 KiB (its minimum) to
 *    16 MiB, 2 workers, 16 connections x 128 pipelined requests (2048 jobs
 *    in flight, about 96 KiB of job records): a ring smaller than that fills
 *    and the main thread stops reading sockets (backpressure) until workers
 *    free room. p99 from the load client, full events from /metrics.
 *
 * The completion ring is max(1 MiB, job ring) and the log ring 4 MiB in the
 * server: only the job ring varies below 1 MiB.
 */
import { formatSpread, textTable } from '../lib/bench-stats.js';
import type { Row } from '../lib/charts.js';
import { type Experiment, type ExperimentReport, type RunOptions, bySpread, bytesLabel, contention, get, percent, ratio, retryNote, runRingExperiment, spreadRow } from './experiment-kit.js';
import { type LoadPhase, type PhaseResult, serverTrialRetried } from './server-trial.js';
import { sweepChart } from './sweep-chart.js';
import type { CapacityRun, RingCapacityResult } from '../../native-queue/experiments/ring-capacity.js';

interface ServerRun extends PhaseResult {
  readonly job: string;
  readonly jobRingBytes: number;
  readonly rep: number;
}

const JOBS = [
  { name: 'bare job', work: 0 },
  { name: 'job + ~20 µs CPU', work: 12_000 },
] as const;
const WORKERS = 2;

async function serverPart(o: RunOptions): Promise<{ capacities: number[]; reps: number; phase: LoadPhase; runs: ServerRun[]; failures: string[] }> {
  const capacities = o.quick ? [4096, 65_536, 1 << 20] : [4096, 16_384, 65_536, 1 << 20, 1 << 24];
  const reps = o.reps ?? (o.quick ? 1 : 3);
  const phase: LoadPhase = { name: 'pipelined 16×128', connections: 16, depth: 128, warmupS: o.quick ? 0.3 : 0.5, durationS: o.quick ? 1 : 2.5 };
  const runs: ServerRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const job of JOBS) {
      for (let k = 0; k < capacities.length; k++) {
        const jobRingBytes = capacities[(k + rep) % capacities.length]!;
        const [r] = await serverTrialRetried({ workers: WORKERS, jobWork: job.work, jobRingBytes }, [phase], failures);
        runs.push({ ...r!, job: job.name, jobRingBytes, rep });
      }
    }
  }
  return { capacities, reps, phase, runs, failures };
}

async function run(o: RunOptions): Promise<ExperimentReport> {
  const ring = await runRingExperiment<RingCapacityResult>('ring-capacity', o);
  const server = await serverPart(o);

  const rkey = (x: CapacityRun): string => `${x.workload}|${x.capacity}`;
  const rRate = bySpread(ring.runs, rkey, (x) => x.msgsPerS);
  const rCpu = bySpread(ring.runs, rkey, (x) => x.cpuNsPerRecord);
  const rFull = bySpread(ring.runs, rkey, (x) => x.fullPerK);
  const rSleeps = bySpread(ring.runs, rkey, (x) => x.sleepsPerK);
  const rWait = bySpread(ring.runs, rkey, (x) => x.runQueueWait);
  const workloads = [...new Set(ring.runs.map((x) => x.workload))];
  const ringTable = textTable(['ring', 'capacity', 'records/s', 'CPU ns/record', 'full/1000', 'sleeps/1000', 'CPU wait'],
    workloads.flatMap((w) => ring.capacities.map((c) => {
      const k = `${w}|${c}`;
      return [w, bytesLabel(c), formatSpread(get(rRate, k)), formatSpread(get(rCpu, k)), formatSpread(get(rFull, k)), formatSpread(get(rSleeps, k)), formatSpread(get(rWait, k), percent)];
    })));

  const skey = (x: ServerRun): string => `${x.job}|${x.jobRingBytes}`;
  const sRate = bySpread(server.runs, skey, (x) => x.rps);
  const sP50 = bySpread(server.runs, skey, (x) => x.p50Us / 1000);
  const sP99 = bySpread(server.runs, skey, (x) => x.p99Us / 1000);
  const sFull = bySpread(server.runs, skey, (x) => x.jobRingFullPerK);
  const sCpu = bySpread(server.runs, skey, (x) => x.cpuUsPerRequest);
  const serverTable = textTable(['job', '--job-ring-bytes', 'requests/s', 'p50 ms', 'p99 ms', 'job ring full/1000', 'server CPU µs/request'],
    JOBS.flatMap((j) => server.capacities.map((c) => {
      const k = `${j.name}|${c}`;
      return [j.name, bytesLabel(c), formatSpread(get(sRate, k)), formatSpread(get(sP50, k)), formatSpread(get(sP99, k)), formatSpread(get(sFull, k)), formatSpread(get(sCpu, k))];
    })));

  const P = ['ring alone: records/s', 'ring alone: sleeps per 1000 records', 'server: requests/s', 'server: p99 latency (ms)'] as const;
  const rows: Row[] = [
    ...workloads.flatMap((w) => ring.capacities.flatMap((c) => [
      spreadRow({ x: bytesLabel(c), panel: P[0], series: w }, get(rRate, `${w}|${c}`)),
      spreadRow({ x: bytesLabel(c), panel: P[1], series: w }, get(rSleeps, `${w}|${c}`)),
    ])),
    ...JOBS.flatMap((j) => server.capacities.flatMap((c) => [
      spreadRow({ x: bytesLabel(c), panel: P[2], series: `server, ${j.name}` }, get(sRate, `${j.name}|${c}`)),
      spreadRow({ x: bytesLabel(c), panel: P[3], series: `server, ${j.name}` }, get(sP99, `${j.name}|${c}`)),
    ])),
  ];
  const svg = await sweepChart({
    title: 'Ring capacity: the ring alone, and the server\'s job ring (median, min–max whiskers)',
    rows, xTitle: 'capacity', xType: 'ordinal', seriesTitle: 'ring or server', panels: P, independentX: true,
  });
  const [small, big] = [ring.capacities[0]!, ring.capacities.at(-1)!];
  const keyFigures = [
    ...workloads.map((w) => `ring alone, ${w}: ${bytesLabel(small)} runs at ${ratio(get(rRate, `${w}|${small}`), get(rRate, `${w}|${big}`))} `
      + `the rate of ${bytesLabel(big)} (${formatSpread(get(rSleeps, `${w}|${small}`))} against ${formatSpread(get(rSleeps, `${w}|${big}`))} sleeps per 1000)`),
    ...JOBS.map((j) => {
      const [lo, def] = [server.capacities[0]!, 1 << 20];
      return `server, ${j.name}: --job-ring-bytes ${bytesLabel(lo)} gives ${ratio(get(sRate, `${j.name}|${lo}`), get(sRate, `${j.name}|${def}`))} the requests/s `
        + `of 1 MiB (the default); p99 ${formatSpread(get(sP99, `${j.name}|${lo}`))} against ${formatSpread(get(sP99, `${j.name}|${def}`))} ms`;
    }),
  ];
  return {
    method: `Ring alone: ${ring.reps} repetitions, capacities rotated, ${ring.records.toLocaleString('en-US')} self-checked records of ${ring.payload} B per trial, `
      + `spin ${ring.spin}. ${retryNote(ring.runs)} Server: ${server.reps} repetitions, capacities rotated, a fresh ringpool per trial with --workers ${WORKERS}, `
      + `${server.phase.connections} connections × ${server.phase.depth} pipelined requests on the line protocol, ${server.phase.warmupS} s warm-up, `
      + `${server.phase.durationS} s measured, every answer checked, the log checked after SIGTERM; the load client shares the 2 cores.`,
    tables: [
      { caption: 'ring alone, per ring and capacity: median (min–max)', text: ringTable },
      { caption: 'server, per job and job ring capacity: median (min–max)', text: serverTable },
    ],
    keyFigures: [...keyFigures, ...server.failures.map((f) => `FAILED trial (repeated): ${f}`)],
    charts: [{ file: 'ring-capacity', title: 'Ring capacity', svg }],
    raw: { ring, server },
    runQueueWait: contention(ring.runs),
  };
}

export const ringCapacity: Experiment = { name: 'ring-capacity', title: 'Throughput and p99 against ring capacity (ring alone and server)', run };
