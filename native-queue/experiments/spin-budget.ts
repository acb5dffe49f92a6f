/**
 * Experiment: the spin-before-sleep budget (the rings' `spin` option: how
 * many times waitForData / waitForSpace re-check before Atomics.wait).
 *
 * A ring-level experiment: the server's workers fix their budget at 200
 * (src/worker.ts) and the server has no flag for it, so this drives the
 * package's rings directly, with the same option the server passes.
 *
 * Per repetition, for each budget (in a rotated order):
 * 1. ping-pong (ping-pong-thread.ts): one request in flight between two
 *    threads, both with this budget. Round-trip p50 and p99, and CPU per
 *    round trip over both threads. A budget that covers the other side's
 *    turnaround keeps both threads awake (no futex wake per message) at the
 *    price of burning CPU while they wait.
 * 2. streaming, shaped like the job ring: SPMC, 1 producer flat out, 2
 *    consumers taking one record per CAS. Records per second, CPU per
 *    record, sleeps per 1000 records.
 * And once: the time one spin re-check takes (a waitForData(0) on an empty
 * ring with a large budget, minus the same with none), so a budget can be
 * read as microseconds.
 */
import { SpmcRing } from '../src/index.js';
import { experimentMain } from './experiment-cli.js';
import { runThreads } from './experiment-threads.js';
import type { PingPongData, PingPongResult } from './ping-pong-thread.js';
import { attemptsFor, leastContended } from './contended-retry.js';
import { streamTrial } from './stream-trial.js';
import { maxOrNull } from './thread-schedstat.js';

export interface SpinRun {
  readonly spin: number;
  readonly rep: number;
  readonly roundTrips: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuUsPerRoundTrip: number | null;
  readonly streamMsgsPerS: number;
  readonly streamCpuNsPerRecord: number | null;
  readonly streamSleepsPerK: number;
  /** Worst thread's run-queue share: ping-pong and stream trial. */
  readonly pingPongRunQueueWait: number | null;
  readonly runQueueWait: number | null;
  /** Trials run to get these (contended-retry.ts). */
  readonly pingPongAttempts: number;
  readonly streamAttempts: number;
}

export interface SpinBudgetResult {
  readonly spins: readonly number[];
  readonly nsPerSpinCheck: number;
  readonly reps: number;
  readonly streamRecords: number;
  readonly pingPongBudgetMs: number;
  readonly runs: readonly SpinRun[];
}

const ENTRY = new URL('./ping-pong-thread.js', import.meta.url);
const WARMUP = 2000;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** ns per re-check: waitForData(0) returns without sleeping, after `spin` checks. */
function measureSpinCheck(): number {
  const timeOne = (spin: number, calls: number): number => {
    const ring = SpmcRing.create({ capacity: 4096 }, { spin });
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) {
        if (ring.waitForData(0) !== 'timed-out') throw new Error('an empty ring reported data');
      }
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / calls);
    }
    return best;
  };
  const big = 10_000;
  return (timeOne(big, 200) - timeOne(0, 200)) / big;
}

interface PingPongTrial {
  readonly roundTrips: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly cpuUsPerRoundTrip: number | null;
  readonly runQueueWait: number | null;
}

async function pingPong(spin: number, budgetMs: number): Promise<PingPongTrial> {
  const requests = SpmcRing.create({ capacity: 4096 }).buffer;
  const replies = SpmcRing.create({ capacity: 4096 }).buffer;
  const base = { requests, replies, spin, warmup: WARMUP, maxRoundTrips: 200_000, budgetMs };
  const [p, q] = await runThreads<PingPongData, PingPongResult>(ENTRY, [{ ...base, role: 'ping' }, { ...base, role: 'pong' }],
    `ping-pong spin ${spin}`, 60_000);
  const samples = [...p!.samplesUs].sort((a, b) => a - b);
  const n = samples.length;
  const cpu = p!.cpuNs === null || q!.cpuNs === null ? null : (p!.cpuNs / n + q!.cpuNs / (n + WARMUP)) / 1000;
  return {
    roundTrips: n, p50Us: percentile(samples, 0.5), p99Us: percentile(samples, 0.99), cpuUsPerRoundTrip: cpu,
    runQueueWait: maxOrNull(p!.runQueueWait, q!.runQueueWait),
  };
}

await experimentMain<SpinBudgetResult>('spin-budget', 3, async ({ reps, quick }) => {
  const spins = quick ? [0, 64, 1000, 16000] : [0, 16, 64, 200, 1000, 4000, 16000];
  const streamRecords = quick ? 100_000 : 400_000;
  const pingPongBudgetMs = quick ? 150 : 500;
  const nsPerSpinCheck = measureSpinCheck();
  const runs: SpinRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < spins.length; k++) {
      const spin = spins[(k + rep) % spins.length]!;
      const pp = await leastContended(() => pingPong(spin, pingPongBudgetMs), undefined, attemptsFor(quick));
      const s = await leastContended(() => streamTrial({
        ring: 'spmc', producers: 1, consumers: 2, policy: 'when-sleeping', spin,
        capacity: 64 * 1024, payload: 64, recordsPerProducer: streamRecords, batch: 1,
      }), undefined, attemptsFor(quick));
      runs.push({
        spin, rep, roundTrips: pp.roundTrips, p50Us: pp.p50Us, p99Us: pp.p99Us, cpuUsPerRoundTrip: pp.cpuUsPerRoundTrip,
        pingPongRunQueueWait: pp.runQueueWait, pingPongAttempts: pp.attempts,
        streamMsgsPerS: s.msgsPerS, streamCpuNsPerRecord: s.cpuNsPerRecord, streamSleepsPerK: s.sleepsPerK, runQueueWait: s.runQueueWait,
        streamAttempts: s.attempts,
      });
    }
  }
  return { spins, nsPerSpinCheck, reps, streamRecords, pingPongBudgetMs, runs };
});
