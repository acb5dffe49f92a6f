/**
 * The experiment behind the addon's wake-up design (native/README.md,
 * "Waking across languages"): does a thread sleeping in the futex syscall on
 * a SharedArrayBuffer word wake on Atomics.notify, and the reverse?
 *
 *   node native-queue/dist/bench/futex-vs-atomics.js      (needs the addon: npm run build:native)
 *
 * Each case parks one worker thread, gives it time to fall asleep once it
 * says it is about to (an experiment may sleep; a test may not), wakes it by one mechanism, and
 * reports what the sleeper saw. Linux only (the raw futex).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { MpscRing, NativeMpscRing } from '../src/index.js';
import { nativeAddon } from '../src/native/native-addon.js';

type Sleeper = 'atomics-wait' | 'raw-futex' | 'native-ring';
interface Job { readonly sleeper: Sleeper; readonly buffer: SharedArrayBuffer; readonly timeoutMs: number }

const TIMEOUT_MS = 1000;
const SETTLE_MS = 200;

function sleepInWorker(job: Job): string {
  const words = new Int32Array(job.buffer);
  parentPort!.postMessage('parking'); // the main thread starts its settle time from here
  const started = performance.now();
  let said: string;
  switch (job.sleeper) {
    case 'atomics-wait':
      said = Atomics.wait(words, 0, 0, job.timeoutMs);
      break;
    case 'raw-futex': {
      const r = nativeAddon().rawFutex.wait(words, 0, 0, job.timeoutMs);
      said = r === 0 ? 'woken' : r === -110 ? 'timed out' : `errno ${-r}`;
      break;
    }
    case 'native-ring':
      said = NativeMpscRing.attach(job.buffer, { consumerSlot: 0, spin: 0 }).waitForData(job.timeoutMs);
      break;
    default: {
      const never: never = job.sleeper;
      throw new Error(`this should not happen: ${String(never)}`);
    }
  }
  return `${said} after ${Math.round(performance.now() - started)} ms`;
}

async function trial(sleeper: Sleeper, buffer: SharedArrayBuffer, wake: () => string): Promise<string[]> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { sleeper, buffer, timeoutMs: TIMEOUT_MS } satisfies Job });
  const messages: string[] = [];
  let arrived: () => void = () => undefined;
  worker.on('message', (m: string) => { messages.push(m); arrived(); });
  const next = async (): Promise<string> => {
    while (messages.length === 0) await new Promise<void>((resolve, reject) => { arrived = resolve; worker.once('error', reject); });
    return messages.shift()!;
  };
  await next(); // 'parking'
  await sleep(SETTLE_MS);
  const how = wake();
  const saw = await next();
  await worker.terminate();
  return [sleeper, how, saw];
}

async function main(): Promise<void> {
  const futex = nativeAddon().rawFutex;
  const plain = (): SharedArrayBuffer => new SharedArrayBuffer(64);
  const rows: string[][] = [['sleeper', 'woken by', 'sleeper saw']];
  let b = plain();
  rows.push(await trial('atomics-wait', b, () => `raw FUTEX_WAKE (woke ${futex.wake(new Int32Array(b), 0, 1)})`));
  b = plain();
  rows.push(await trial('raw-futex', b, () => `Atomics.notify (woke ${Atomics.notify(new Int32Array(b), 0, 1)})`));
  b = plain();
  rows.push(await trial('atomics-wait', b, () => `Atomics.notify (woke ${Atomics.notify(new Int32Array(b), 0, 1)})`));
  b = plain();
  rows.push(await trial('raw-futex', b, () => `raw FUTEX_WAKE (woke ${futex.wake(new Int32Array(b), 0, 1)})`));
  // The design: a C++ ring consumer sleeps through V8's Atomics.wait, a JavaScript producer's push wakes it.
  const ring = MpscRing.create({ capacity: 1024 }, { producerSlot: 0, consumerSlot: 1 });
  rows.push(await trial('native-ring', ring.buffer, () => `MpscRing.tryPush (JS): ${ring.tryPush(new Uint8Array([1]))}`));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`raw futex vs V8 Atomics on one SharedArrayBuffer word (timeout ${TIMEOUT_MS} ms, ${SETTLE_MS} ms to fall asleep)\n`);
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
}

if (isMainThread) {
  main().catch((e: unknown) => {
    process.stderr.write(`futex-vs-atomics failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  parentPort!.postMessage(sleepInWorker(workerData as Job));
}
