/**
 * Experiment: what Atomics.wait, Atomics.notify and Atomics.waitAsync cost
 * in Node (V8), the figures behind the study guide's first section.
 *
 * In V8 none of these is a bare futex on the word: every call takes one
 * process-wide mutex and looks the address up in a wait list; a sleeping
 * Atomics.wait blocks on a condition variable of its own thread, and a
 * notified waitAsync gets its promise resolved by a task posted to its
 * thread's event loop (v8/src/execution/futex-emulation.cc).
 *
 * One thread, no other party (the mean of a loop of calls, best of rounds):
 *   notify, nobody waiting              what a producer pays per publish if it
 *                                       notifies unconditionally
 *   wait, value already changed         the 'not-equal' early return
 *   wait, timeout 0                     enters the wait list and leaves it
 *   waitAsync, value already changed    returns { async: false } at once
 *   waitAsync → notify → resolved       arm, notify from the same thread,
 *                                       await: the event-loop hop alone
 * Two threads, a turn word handed back and forth (atomics-hand-off-thread.ts):
 *   worker ⇄ worker round trip          Atomics.wait on both sides
 *   notify that wakes a sleeper         time inside that notify call
 *   main (waitAsync) ⇄ worker round trip   the main thread never blocks
 */
import { experimentMain } from './experiment-cli.js';
import { runThreads } from './experiment-threads.js';
import { type HandOffData, type HandOffResult, TURN } from './hand-off-turn.js';
import { threadSchedstat } from './thread-schedstat.js';

export const ATOMICS_COSTS = [
  'notify, nobody waiting',
  'wait, value already changed',
  'wait, timeout 0',
  'waitAsync, value already changed',
  'waitAsync armed, notified, resolved (same thread)',
  'notify that wakes a sleeping thread',
  'wait/notify round trip, worker ⇄ worker',
  'waitAsync/wait round trip, main ⇄ worker',
] as const;
export type AtomicsCost = (typeof ATOMICS_COSTS)[number];

export interface AtomicsCostRun {
  readonly what: AtomicsCost;
  readonly rep: number;
  readonly ns: number;
  /** Hand-offs only: share of the turns on which the waiting side really slept. */
  readonly sleptShare: number | null;
}

export interface AtomicsCostsResult {
  readonly reps: number;
  readonly calls: number;
  readonly roundTrips: number;
  readonly runs: readonly AtomicsCostRun[];
  /** Share of the experiment the main thread waited for a CPU (contention), null off Linux. */
  readonly runQueueWait: number | null;
}

const ENTRY = new URL('./atomics-hand-off-thread.js', import.meta.url);

function bestOf(rounds: number, calls: number, body: (calls: number) => void): number {
  let best = Infinity;
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    body(calls);
    const ns = Number(process.hrtime.bigint() - t0) / calls;
    if (r > 0) best = Math.min(best, ns); // round 0 warms up
  }
  return best;
}

function singleThread(calls: number): [AtomicsCost, number][] {
  const w = new Int32Array(new SharedArrayBuffer(64));
  return [
    ['notify, nobody waiting', bestOf(3, calls, (n) => { for (let i = 0; i < n; i++) Atomics.notify(w, 0, 1); })],
    ['wait, value already changed', bestOf(3, calls, (n) => {
      for (let i = 0; i < n; i++) if (Atomics.wait(w, 0, 1) !== 'not-equal') throw new Error('wait on a changed value did not return not-equal');
    })],
    ['wait, timeout 0', bestOf(3, Math.max(1, calls >> 2), (n) => {
      for (let i = 0; i < n; i++) if (Atomics.wait(w, 0, 0, 0) !== 'timed-out') throw new Error('wait with timeout 0 did not time out');
    })],
    ['waitAsync, value already changed', bestOf(3, calls, (n) => {
      for (let i = 0; i < n; i++) if (Atomics.waitAsync(w, 0, 1).async) throw new Error('waitAsync on a changed value went async');
    })],
  ];
}

async function waitAsyncResolve(cycles: number): Promise<number> {
  const w = new Int32Array(new SharedArrayBuffer(64));
  let best = Infinity;
  for (let r = 0; r <= 3; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < cycles; i++) {
      const armed = Atomics.waitAsync(w, 1, 0);
      if (!armed.async) throw new Error('waitAsync on an unchanged value returned at once');
      Atomics.notify(w, 1, 1);
      if (await armed.value !== 'ok') throw new Error('notified waitAsync did not resolve ok');
    }
    const ns = Number(process.hrtime.bigint() - t0) / cycles;
    if (r > 0) best = Math.min(best, ns);
  }
  return best;
}

async function workerHandOff(rounds: number): Promise<HandOffResult> {
  const words = new SharedArrayBuffer(64);
  const [first] = await runThreads<HandOffData, HandOffResult>(ENTRY,
    [{ role: 'first', words, rounds }, { role: 'second', words, rounds }], 'hand-off worker ⇄ worker', 60_000);
  return first!;
}

/**
 * The main thread plays 'first', waiting with waitAsync; the worker plays
 * 'second'. The first WARM_ROUNDS are not timed: they include the worker
 * thread starting up (tens of milliseconds) and V8 compiling both loops.
 */
const WARM_ROUNDS = 500;

async function mainHandOff(rounds: number): Promise<{ ns: number; sleptShare: number }> {
  const words = new SharedArrayBuffer(64);
  const w = new Int32Array(words);
  let slept = 0;
  const awaitTurn = async (): Promise<void> => {
    for (let seen = Atomics.load(w, TURN); seen !== 0; seen = Atomics.load(w, TURN)) {
      const armed = Atomics.waitAsync(w, TURN, seen);
      if (armed.async) { await armed.value; slept++; }
    }
  };
  const worker = runThreads<HandOffData, HandOffResult>(ENTRY, [{ role: 'worker', words, rounds: WARM_ROUNDS + rounds }],
    'hand-off main ⇄ worker', 60_000);
  // The worker starts once it is ready; the main thread's turn comes first,
  // and its first hand-off is what sets the worker going.
  let t0 = 0n;
  for (let i = -WARM_ROUNDS; i < rounds; i++) {
    await awaitTurn();
    if (i === 0) { t0 = process.hrtime.bigint(); slept = 0; }
    Atomics.store(w, TURN, 1);
    Atomics.notify(w, TURN, 1);
  }
  await awaitTurn();
  const ns = Number(process.hrtime.bigint() - t0) / rounds;
  await worker;
  return { ns, sleptShare: slept / rounds };
}

await experimentMain<AtomicsCostsResult>('atomics-costs', 5, async ({ reps, quick }) => {
  const calls = quick ? 20_000 : 200_000;
  const roundTrips = quick ? 2_000 : 10_000;
  const runs: AtomicsCostRun[] = [];
  const before = threadSchedstat();
  const t0 = process.hrtime.bigint();
  for (let rep = 0; rep < reps; rep++) {
    for (const [what, ns] of singleThread(calls)) runs.push({ what, rep, ns, sleptShare: null });
    runs.push({ what: 'waitAsync armed, notified, resolved (same thread)', rep, ns: await waitAsyncResolve(roundTrips), sleptShare: null });
    const ww = await workerHandOff(roundTrips);
    runs.push({ what: 'notify that wakes a sleeping thread', rep, ns: ww.notifyNs, sleptShare: ww.sleptShare });
    runs.push({ what: 'wait/notify round trip, worker ⇄ worker', rep, ns: ww.wallNs / roundTrips, sleptShare: ww.sleptShare });
    const mw = await mainHandOff(roundTrips);
    runs.push({ what: 'waitAsync/wait round trip, main ⇄ worker', rep, ns: mw.ns, sleptShare: mw.sleptShare });
  }
  const after = threadSchedstat();
  const wall = Number(process.hrtime.bigint() - t0);
  const runQueueWait = before === null || after === null ? null : (after.waitNs - before.waitNs) / wall;
  return { reps, calls, roundTrips, runs, runQueueWait };
});
