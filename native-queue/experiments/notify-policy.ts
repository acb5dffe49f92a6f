/**
 * Experiment: notify always against notify only when a waiter may sleep.
 *
 * The package's producers read a waiter word after each publish and call
 * Atomics.notify only when it says a consumer may be asleep, and then only
 * once per sleep (notify-variants.ts lists the three policies compared).
 * Three streaming workloads through the package's rings, shaped like the
 * server's: the job ring (SPMC, 1 producer, 1 and 2 consumers taking one
 * record per CAS, as workers do) and the completion/log rings (MPSC, 2
 * producers, 1 consumer draining everything it finds). 64-byte records, a
 * 64 KiB ring, the default spin budget (64). Every record is checked.
 *
 * Figures per trial: records per second; CPU per record over all threads
 * (schedstat); notify calls, sleeps and spurious wake-ups per 1000 records
 * (the rings' own counters, which count notify calls made by the variant
 * too). Each (workload, policy) runs once per repetition, policies in a
 * rotated order.
 */
import { experimentMain } from './experiment-cli.js';
import { NOTIFY_POLICIES, type NotifyPolicy } from './notify-variants.js';
import { type Attempted, attemptsFor, leastContended } from './contended-retry.js';
import { type StreamTrial, streamTrial } from './stream-trial.js';

export const NOTIFY_WORKLOADS = [
  { name: 'SPMC 1→1', ring: 'spmc', producers: 1, consumers: 1, batch: 1 },
  { name: 'SPMC 1→2', ring: 'spmc', producers: 1, consumers: 2, batch: 1 },
  { name: 'MPSC 2→1', ring: 'mpsc', producers: 2, consumers: 1, batch: Infinity },
] as const;

export type NotifyRun = Attempted<StreamTrial> & {
  readonly workload: (typeof NOTIFY_WORKLOADS)[number]['name'];
  readonly policy: NotifyPolicy;
  readonly rep: number;
};

export interface NotifyPolicyResult {
  readonly recordsPerProducer: number;
  readonly payload: number;
  readonly capacity: number;
  readonly spin: number;
  readonly reps: number;
  readonly runs: readonly NotifyRun[];
}

const PAYLOAD = 64;
const CAPACITY = 64 * 1024;
const SPIN = 64;

await experimentMain<NotifyPolicyResult>('notify-policy', 3, async ({ reps, quick }) => {
  const recordsPerProducer = quick ? 100_000 : 500_000;
  const runs: NotifyRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const w of NOTIFY_WORKLOADS) {
      for (let k = 0; k < NOTIFY_POLICIES.length; k++) {
        const policy = NOTIFY_POLICIES[(k + rep) % NOTIFY_POLICIES.length]!;
        const t = await leastContended(() => streamTrial({
          ring: w.ring, producers: w.producers, consumers: w.consumers, policy, spin: SPIN,
          capacity: CAPACITY, payload: PAYLOAD, recordsPerProducer: w.ring === 'mpsc' ? recordsPerProducer / 2 : recordsPerProducer, batch: w.batch,
        }), undefined, attemptsFor(quick));
        runs.push({ workload: w.name, policy, rep, ...t });
      }
    }
  }
  return { recordsPerProducer, payload: PAYLOAD, capacity: CAPACITY, spin: SPIN, reps, runs };
});
