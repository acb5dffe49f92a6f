/**
 * Runs one measured trial of an experiment on worker threads: starts every
 * thread, waits until each has set itself up and said 'ready', releases them
 * together through the start word of a control block (bench/control.ts), and
 * collects the one result each thread posts before it ends.
 *
 * A trial that does not finish within its watchdog is terminated and
 * reported as an error naming the trial: an experiment variant that loses a
 * wake-up must show up as a failure, not as a hang.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { awaitStart, createControl, signalStart } from '../bench/control.js';

/** What an experiment thread posts to the main thread. */
export type ThreadMessage<R> =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly result: R };

/** Every experiment thread gets the control block besides its own data. */
export interface ThreadSetup<D> {
  readonly control: SharedArrayBuffer;
  readonly data: D;
}

export async function runThreads<D, R>(entry: URL, data: readonly D[], label: string, watchdogMs: number): Promise<R[]> {
  const control = createControl(data.length);
  const workers = data.map((d) => new Worker(entry, { workerData: { control, data: d } satisfies ThreadSetup<D> }));
  const results: (R | undefined)[] = data.map(() => undefined);
  let ready = 0;
  let done = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(
        `${label}: not finished within ${watchdogMs} ms (${ready}/${data.length} threads ready, ${done} done): a lost wake-up or a stalled thread`)), watchdogMs);
      workers.forEach((w, i) => {
        w.on('message', (m: ThreadMessage<R>) => {
          switch (m.kind) {
            case 'ready':
              if (++ready === data.length) signalStart(new Int32Array(control));
              break;
            case 'result':
              results[i] = m.result;
              if (++done === data.length) resolve();
              break;
            default: {
              const never: never = m;
              reject(new Error(`${label}: this should not happen: thread message ${JSON.stringify(never)}`));
            }
          }
        });
        w.on('error', (e: Error) => reject(new Error(`${label}: thread ${i} failed: ${e.message}`, { cause: e })));
        w.on('exit', (code) => {
          if (results[i] === undefined) reject(new Error(`${label}: thread ${i} exited with code ${code} before posting its result`));
        });
      });
    });
  } finally {
    clearTimeout(timer);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results as R[];
}

/**
 * The thread side: runs `body` with this thread's data and a `start`
 * function that says 'ready' and parks until every thread of the trial is
 * ready (call it after setting up, right before the timed part), then posts
 * what `body` returned.
 */
export function serveThread<D, R>(body: (data: D, start: () => void) => R): void {
  const port = parentPort;
  if (port === null) throw new Error('an experiment thread entry runs in a worker thread (see runThreads)');
  const { control, data } = workerData as ThreadSetup<D>;
  const words = new Int32Array(control);
  const start = (): void => {
    port.postMessage({ kind: 'ready' } satisfies ThreadMessage<R>);
    awaitStart(words);
  };
  const result = body(data, start);
  port.postMessage({ kind: 'result', result } satisfies ThreadMessage<R>);
}
