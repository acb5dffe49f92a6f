/**
 * Experiment: ring capacity, the ring alone (the server's side of the same
 * question is profiling/experiments/ring-capacity.ts, which runs this and
 * the real server with --job-ring-bytes).
 *
 * Streaming 64-byte self-checked records, flat out, through the package's
 * rings at capacities from 256 bytes (three records) to 1 MiB, in the
 * server's three shapes: the job ring (SPMC, 1 producer, 1 and 2 consumers
 * taking one record per CAS) and the completion/log rings (MPSC, 2
 * producers, 1 consumer draining everything it finds). Default spin budget
 * (64), the package's notify policy.
 *
 * A small ring fills up: the producer then sleeps in waitForSpace until a
 * consumer frees room, and pays a futex round trip per fill. A large ring
 * lets the two sides run apart for longer; past the point where neither
 * side ever waits for the other, capacity can only cost cache: a ring
 * larger than the L2 cache is streamed through memory.
 *
 * Figures per trial: records per second, CPU per record over all threads,
 * full events (pushes refused), sleeps and notifies per 1000 records.
 */
import { experimentMain } from './experiment-cli.js';
import { type Attempted, attemptsFor, leastContended } from './contended-retry.js';
import { type StreamTrial, streamTrial } from './stream-trial.js';

export const CAPACITY_WORKLOADS = [
  { name: 'SPMC 1→1', ring: 'spmc', producers: 1, consumers: 1, batch: 1 },
  { name: 'SPMC 1→2', ring: 'spmc', producers: 1, consumers: 2, batch: 1 },
  { name: 'MPSC 2→1', ring: 'mpsc', producers: 2, consumers: 1, batch: Infinity },
] as const;

export type CapacityRun = Attempted<StreamTrial> & {
  readonly workload: (typeof CAPACITY_WORKLOADS)[number]['name'];
  readonly capacity: number;
  readonly rep: number;
};

export interface RingCapacityResult {
  readonly records: number;
  readonly payload: number;
  readonly spin: number;
  readonly capacities: readonly number[];
  readonly reps: number;
  readonly runs: readonly CapacityRun[];
}

const PAYLOAD = 64;
const SPIN = 64;

await experimentMain<RingCapacityResult>('ring-capacity', 3, async ({ reps, quick }) => {
  const capacities = quick ? [256, 4096, 65_536, 1 << 20] : [256, 1024, 4096, 16_384, 65_536, 262_144, 1 << 20];
  const records = quick ? 100_000 : 200_000;
  const runs: CapacityRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const w of CAPACITY_WORKLOADS) {
      for (let k = 0; k < capacities.length; k++) {
        const capacity = capacities[(k + rep) % capacities.length]!;
        const t = await leastContended(() => streamTrial({
          ring: w.ring, producers: w.producers, consumers: w.consumers, policy: 'when-sleeping', spin: SPIN,
          capacity, payload: PAYLOAD, recordsPerProducer: records / w.producers, batch: w.batch,
        }), undefined, attemptsFor(quick));
        runs.push({ workload: w.name, capacity, rep, ...t });
      }
    }
  }
  return { records, payload: PAYLOAD, spin: SPIN, capacities, reps, runs };
});
