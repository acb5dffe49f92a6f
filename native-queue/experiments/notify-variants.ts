/**
 * Experiment-only variants of the package's rings that differ in one thing:
 * when a producer (or a consumer that freed space) calls Atomics.notify.
 * The shared-memory layout, the sleep protocol of the waiting side and
 * every other line are the package's own; src/ is untouched, and the
 * default behaviour of SpmcRing and MpscRing does not change.
 *
 *   when-sleeping  the package: notify only when a waiter word says a thread
 *                  may sleep, and only the first waker of each sleep
 *                  (WAKE_PENDING in SPMC, the flag handed over by CAS in
 *                  MPSC): about one notify per sleep
 *   when-waiters   notify whenever the waiter word is non-zero, with no
 *                  hand-over: every publish made while a sleeper is still
 *                  waking up notifies again (the package's first version)
 *   always         bump SIGNAL and notify after every publish and every
 *                  release, whether anyone sleeps or not
 *
 * All three keep the no-lost-wake-up argument of ring-core.ts: a waker that
 * notifies more often than needed bumps SIGNAL more often, which can only
 * make a sleeper's Atomics.wait return sooner ('not-equal').
 *
 * The package's classes keep their constructors private (create/attach are
 * the API), so the subclasses extend them through a cast to an ordinary
 * constructor type; at run time the constructor is an ordinary one.
 */
import { type AttachOptions, MpscRing, SpmcRing } from '../src/index.js';
import { DATA_SIGNAL, DATA_WAITERS, SIGNAL_AFTER_WAITERS, STAT_NOTIFIES } from '../src/layout.js';

export const NOTIFY_POLICIES = ['when-sleeping', 'when-waiters', 'always'] as const;
export type NotifyPolicy = (typeof NOTIFY_POLICIES)[number];

type Construct<T> = new (buffer: SharedArrayBuffer, options: AttachOptions) => T;
const OpenSpmcRing = SpmcRing as unknown as Construct<SpmcRing>;
const OpenMpscRing = MpscRing as unknown as Construct<MpscRing>;

/** RingCore.wake (both directions of SPMC, the space side of MPSC) without any check. */
function notifyAlways(i32: Int32Array, waiters: number, count: number, stats: Float64Array): void {
  Atomics.add(i32, waiters + SIGNAL_AFTER_WAITERS, 1);
  Atomics.notify(i32, waiters + SIGNAL_AFTER_WAITERS, count);
  stats[STAT_NOTIFIES]! += 1;
}

/** RingCore.wake without the WAKE_PENDING hand-over. */
function notifyWhenWaiters(i32: Int32Array, waiters: number, count: number, stats: Float64Array): void {
  if (Atomics.load(i32, waiters) === 0) return;
  notifyAlways(i32, waiters, count, stats);
}

class AlwaysSpmcRing extends OpenSpmcRing {
  protected override wake(waiters: number, count: number, stats: Float64Array): void {
    notifyAlways(this.i32, waiters, count, stats);
  }
}

class WhenWaitersSpmcRing extends OpenSpmcRing {
  protected override wake(waiters: number, count: number, stats: Float64Array): void {
    notifyWhenWaiters(this.i32, waiters, count, stats);
  }
}

class AlwaysMpscRing extends OpenMpscRing {
  protected override wake(waiters: number, count: number, stats: Float64Array): void {
    notifyAlways(this.i32, waiters, count, stats);
  }

  protected override wakeConsumers(count: number, stats: Float64Array): void {
    notifyAlways(this.i32, DATA_WAITERS, count, stats);
  }
}

class WhenWaitersMpscRing extends OpenMpscRing {
  protected override wake(waiters: number, count: number, stats: Float64Array): void {
    notifyWhenWaiters(this.i32, waiters, count, stats);
  }

  /** The consumer's flag is read, never cleared by a waker: the sleeper clears it when it leaves. */
  protected override wakeConsumers(count: number, stats: Float64Array): void {
    notifyWhenWaiters(this.i32, DATA_WAITERS, count, stats);
  }
}

// DATA_SIGNAL must follow DATA_WAITERS for the helpers above; layout.ts says so, this checks it.
if (DATA_SIGNAL !== DATA_WAITERS + SIGNAL_AFTER_WAITERS) throw new Error('layout: DATA_SIGNAL does not follow DATA_WAITERS');

export function attachSpmc(policy: NotifyPolicy, buffer: SharedArrayBuffer, options: AttachOptions): SpmcRing {
  switch (policy) {
    case 'when-sleeping': return SpmcRing.attach(buffer, options);
    case 'when-waiters': return new WhenWaitersSpmcRing(buffer, options);
    case 'always': return new AlwaysSpmcRing(buffer, options);
    default: {
      const never: never = policy;
      throw new Error(`this should not happen: notify policy ${String(never)}`);
    }
  }
}

export function attachMpsc(policy: NotifyPolicy, buffer: SharedArrayBuffer, options: AttachOptions): MpscRing {
  switch (policy) {
    case 'when-sleeping': return MpscRing.attach(buffer, options);
    case 'when-waiters': return new WhenWaitersMpscRing(buffer, options);
    case 'always': return new AlwaysMpscRing(buffer, options);
    default: {
      const never: never = policy;
      throw new Error(`this should not happen: notify policy ${String(never)}`);
    }
  }
}
