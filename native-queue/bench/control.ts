/**
 * The control block of one benchmark run: a small SharedArrayBuffer, separate
 * from the ring under test, that starts the producers together and carries
 * the postMessage baseline's flow control.
 *
 * ```
 *  byte  int32  word            written by                        read by
 *  ────  ─────  ──────────────  ────────────────────────────────  ───────────────────────────
 *  0     0      GO              main, once (0 -> 1)               producers, Atomics.wait
 *  128   32     ACKED           port consumer, every ack interval port producer (credit check)
 *  256   64     PRODUCERS_LEFT  main (init), producers (sub once)  producers: the last closes
 * ```
 *
 * ACKED is written during the timed loop, so it sits alone on its line
 * (128 bytes apart, as in the ring's own layout).
 */
export const GO = 0;
export const ACKED = 32;
export const PRODUCERS_LEFT = 64;
export const CONTROL_BYTES = 384;

export function createControl(producers: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES);
  new Int32Array(buffer)[PRODUCERS_LEFT] = producers;
  return buffer;
}

/** Main thread: release every producer parked in awaitStart(). */
export function signalStart(control: Int32Array): void {
  Atomics.store(control, GO, 1);
  Atomics.notify(control, GO);
}

/** Producer: park until the main thread calls signalStart(). */
export function awaitStart(control: Int32Array): void {
  while (Atomics.load(control, GO) === 0) Atomics.wait(control, GO, 0);
}

/** Producer: true for exactly one caller, the last producer to finish. */
export function finishProducer(control: Int32Array): boolean {
  return Atomics.sub(control, PRODUCERS_LEFT, 1) === 1;
}

/** Port consumer: grant the producer credit up to `consumed` messages. */
export function acknowledge(control: Int32Array, consumed: number): void {
  Atomics.store(control, ACKED, consumed);
  Atomics.notify(control, ACKED);
}

/**
 * Port producer: block until fewer than `window` messages are in flight,
 * i.e. until the consumer has acknowledged at least `sent - window + 1`.
 */
export function awaitCredit(control: Int32Array, sent: number, window: number): void {
  for (;;) {
    const acked = Atomics.load(control, ACKED);
    if (sent - acked < window) return;
    Atomics.wait(control, ACKED, acked);
  }
}
