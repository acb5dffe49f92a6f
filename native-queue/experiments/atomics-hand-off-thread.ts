/**
 * Thread entry of the atomics-costs hand-off trials: a turn word passed
 * back and forth with nothing but Atomics.store, Atomics.wait and
 * Atomics.notify (no spinning), to time a wait → notify hand-off between
 * threads. Two roles:
 *
 *   'first' / 'second'  two worker threads taking turns; 'first' times the
 *                       round trips, both time their Atomics.notify calls
 *   'worker'            the partner of the main thread, which waits with
 *                       Atomics.waitAsync (see atomics-costs.ts)
 *
 * The turn word is described in hand-off-turn.ts.
 */
import { serveThread } from './experiment-threads.js';
import { type HandOffData, type HandOffResult, TURN } from './hand-off-turn.js';

/** Waits until TURN is `mine`; returns whether it had to sleep. */
function awaitTurn(w: Int32Array, mine: number): boolean {
  let slept = false;
  for (let seen = Atomics.load(w, TURN); seen !== mine; seen = Atomics.load(w, TURN)) {
    if (Atomics.wait(w, TURN, seen) === 'ok') slept = true;
  }
  return slept;
}

function handOff(w: Int32Array, to: number): number {
  Atomics.store(w, TURN, to);
  const t0 = process.hrtime.bigint();
  Atomics.notify(w, TURN, 1);
  return Number(process.hrtime.bigint() - t0);
}

serveThread<HandOffData, HandOffResult>((d, start) => {
  const w = new Int32Array(d.words);
  const mine = d.role === 'first' ? 0 : 1;
  const other = 1 - mine;
  let notifyNs = 0;
  let slept = 0;
  start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < d.rounds; i++) {
    if (awaitTurn(w, mine)) slept++;
    notifyNs += handOff(w, other);
  }
  // 'first' hands over last: wait for the final turn back, so its wall time is whole round trips.
  if (d.role === 'first' && awaitTurn(w, mine)) slept++;
  return { wallNs: Number(process.hrtime.bigint() - t0), notifyNs: notifyNs / d.rounds, sleptShare: slept / d.rounds };
});
