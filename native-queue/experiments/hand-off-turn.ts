/**
 * The shared word and the messages of the atomics-costs hand-off trials,
 * apart from their thread entry (atomics-hand-off-thread.ts): importing a
 * value from an entry file would run that entry on the importing thread.
 *
 *  int32 word  written by          what
 *  0  TURN     whoever hands over  0: first's (or main's) turn, 1: second's (or worker's)
 */
export const TURN = 0;

export interface HandOffData {
  readonly role: 'first' | 'second' | 'worker';
  readonly words: SharedArrayBuffer;
  readonly rounds: number;
}

export interface HandOffResult {
  readonly wallNs: number;
  /** Mean time inside an Atomics.notify that had a sleeper to wake (or found it awake). */
  readonly notifyNs: number;
  /** Waits that slept and were woken ('ok'), out of all the turns this thread waited for. */
  readonly sleptShare: number;
}
