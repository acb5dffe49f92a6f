/**
 * Experiment: padded against unpadded cursors (false sharing).
 *
 * The package keeps WRITE and READ 128 bytes apart (layout.ts). This
 * experiment moves them 4 bytes apart (one cache line), 64 (adjacent lines,
 * one 128-byte pair that the adjacent-line prefetcher fetches together) and
 * 128 (the package), in two rings:
 *
 * 1. the package's own rings (layout-variant.ts: the compiled modules with
 *    only READ and RELEASE moved), streaming 64-byte self-checked records
 *    from one producer thread to one consumer thread: SPMC taking one record
 *    per CAS (as the server's workers do) and MPSC draining everything it
 *    finds (as the writer does). What the padding buys the package.
 * 2. a minimal SPSC ring (spsc-ring-32.ts: fixed 8-byte slots, busy-polling,
 *    nothing else per value), each stride with and without cached remote
 *    cursors. The cursor traffic is then as large a share of the cost as it
 *    can be: an upper bound of what false sharing can cost here.
 *
 * Every (ring, stride) runs once per repetition, in a rotated order. Each
 * trial runs on fresh threads, so its first milliseconds include V8
 * compiling the loops; at a million values per trial that is a small share.
 *
 * What it cannot show: the slots and records are shared between the two
 * threads too (written on one core, read on the other), which no layout
 * avoids. Node cannot pin threads to cores: on a busy 2-core machine the two
 * threads may share one core for part of a trial, and then no line crosses
 * cores at all (each trial reports how long its threads waited for a CPU).
 * SharedArrayBuffer's alignment is not visible from JavaScript: 4 bytes
 * apart are in one line whatever it is; 64 apart share a 128-byte pair only
 * if the buffer starts on a 128-byte boundary.
 */
import { experimentMain } from './experiment-cli.js';
import { attemptsFor, leastContended } from './contended-retry.js';
import { CURSOR_STRIDES } from './layout-variant.js';
import { spscTrial } from './spsc-trial.js';
import { streamTrial } from './stream-trial.js';

export const PACKAGE_WORKLOADS = [
  { name: 'SPMC 1→1', ring: 'spmc', batch: 1 },
  { name: 'MPSC 1→1', ring: 'mpsc', batch: Infinity },
] as const;

/** A trial of the package's ring with its cursors `strideBytes` apart. */
export interface PackagePaddingRun {
  readonly workload: (typeof PACKAGE_WORKLOADS)[number]['name'];
  readonly strideBytes: number;
  readonly rep: number;
  readonly msgsPerS: number;
  readonly cpuNsPerRecord: number | null;
  readonly sleepsPerK: number;
  readonly runQueueWait: number | null;
  /** Trials run to get this one (contended-retry.ts). */
  readonly attempts: number;
}

export interface PaddingRun {
  readonly strideBytes: number;
  readonly cacheRemote: boolean;
  readonly rep: number;
  readonly msgsPerS: number;
  readonly fullPollsPerM: number;
  readonly emptyPollsPerM: number;
  readonly runQueueWait: number | null;
  readonly attempts: number;
}

export interface PaddingResult {
  /** Minimal SPSC ring: values per trial, slots. */
  readonly count: number;
  readonly slots: number;
  /** Package rings: records per trial, payload, capacity, spin budget. */
  readonly records: number;
  readonly payload: number;
  readonly capacity: number;
  readonly spin: number;
  readonly reps: number;
  readonly packageRuns: readonly PackagePaddingRun[];
  readonly runs: readonly PaddingRun[];
}

const SLOTS = 1024;
const PAYLOAD = 64;
const CAPACITY = 64 * 1024;
const SPIN = 64;
/** Both cursors start just below 2^31: each trial crosses the sign flip. */
const INITIAL = 2 ** 31 - 1000;

await experimentMain<PaddingResult>('cursor-padding', 3, async ({ reps, quick }) => {
  const count = quick ? 200_000 : 1_000_000;
  const records = quick ? 200_000 : 1_000_000;
  const variants = [true, false].flatMap((cacheRemote) => CURSOR_STRIDES.map((strideBytes) => ({ strideBytes, cacheRemote })));
  const packageVariants = PACKAGE_WORKLOADS.flatMap((workload) => CURSOR_STRIDES.map((strideBytes) => ({ workload, strideBytes })));
  const runs: PaddingRun[] = [];
  const packageRuns: PackagePaddingRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < packageVariants.length; k++) {
      const { workload, strideBytes } = packageVariants[(k + rep) % packageVariants.length]!;
      const t = await leastContended(() => streamTrial({
        ring: workload.ring, producers: 1, consumers: 1, policy: 'when-sleeping', spin: SPIN,
        capacity: CAPACITY, payload: PAYLOAD, recordsPerProducer: records, batch: workload.batch, cursorStride: strideBytes,
      }), undefined, attemptsFor(quick));
      packageRuns.push({
        workload: workload.name, strideBytes, rep,
        msgsPerS: t.msgsPerS, cpuNsPerRecord: t.cpuNsPerRecord, sleepsPerK: t.sleepsPerK, runQueueWait: t.runQueueWait, attempts: t.attempts,
      });
    }
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + rep) % variants.length]!;
      const t = await leastContended(() => spscTrial('int32', { ...v, slots: SLOTS, initial: INITIAL }, count), undefined, attemptsFor(quick));
      runs.push({ ...v, rep, ...t });
    }
  }
  return { count, slots: SLOTS, records, payload: PAYLOAD, capacity: CAPACITY, spin: SPIN, reps, packageRuns, runs };
});
