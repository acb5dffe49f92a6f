/**
 * The writer thread: the only thread that touches the log file, so the file
 * needs no lock. It drains the log ring in batches, writes each batch with
 * sonic-boom in synchronous mode (a dedicated thread may block, and then it
 * knows exactly when the bytes reached the OS), fdatasyncs in fsync mode
 * (one sync per batch: group commit), and reports how far it got to the main
 * thread as a WATERMARK record in the completion ring.
 *
 * Group commit needs no timer: while one batch is being written and synced,
 * the next one accumulates in the ring, so the batch size follows the load.
 */
import fs from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { attachMpscRing } from 'native-queue';
import { createRequire } from 'node:module';
import type { SonicBoom as SonicBoomClass } from 'sonic-boom';
import { observe } from './metrics/shared-histogram.js';
import { WR_BATCHES, WR_BATCH_SIZE, WR_BYTES, WR_FSYNC, WR_RECORDS, counterBlock } from './metrics/thread-counters.js';
import { CompletionType, WATERMARK_BYTES, ringView } from './records.js';
import type { FromWriter, ToWriter, WriterInit } from './thread-messages.js';

// sonic-boom is CommonJS whose typings declare an ES default export; load it
// with require so the constructor is what TypeScript and Node both see.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomClass;

const init = workerData as WriterInit;
const port = parentPort!;
const log = attachMpscRing(init.queue, init.logRing, { consumerSlot: 0, spin: 0 });
const completions = attachMpscRing(init.queue, init.completionRing, { producerSlot: init.completionSlot });
const completionView = ringView(completions.data);
const logBytes = Buffer.from(log.data.buffer, log.data.byteOffset, log.data.byteLength);
const counters = counterBlock(init.threadCounters, init.counterBlock);

function tell(message: FromWriter): void {
  port.postMessage(message);
}

/**
 * A crash in the middle of a write (kill -9 during a multi-page write, power
 * loss) can leave the log's last line cut short. Appending straight after it
 * would glue the first new record to the fragment, and a reader of lines
 * would see one malformed line instead of that record: end the torn line
 * first. Only a regular file can be torn; a FIFO or a device is left alone.
 */
function terminateTornLine(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile() || stat.size === 0) return;
  const fd = fs.openSync(file, 'a+');
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, stat.size - 1);
    if (last[0] !== 0x0a) fs.writeSync(fd, '\n');
  } finally {
    fs.closeSync(fd);
  }
}

try {
  terminateTornLine(init.logFile);
} catch (err) {
  fail(err);
}

let failure: Error | null = null;
const boom = new SonicBoom({ dest: init.logFile, sync: true, append: true, mkdir: true, contentMode: 'buffer' });
// In sync mode sonic-boom reports a failed write as an 'error' event.
boom.on('error', (err: Error) => { failure ??= err; });
/** The file descriptor (public on the object, missing from the typings). */
const fdOf = (b: SonicBoomClass): number => (b as unknown as { fd: number }).fd;

let batch = Buffer.allocUnsafe(1 << 20);
let batchLength = 0;
let batchRecords = 0;
let nudged = false;
let records = 0;
let bytes = 0;

const collect = (_data: Uint8Array, index: number, length: number): void => {
  if (length === 0) { nudged = true; return; }
  if (batchLength + length > batch.length) {
    const bigger = Buffer.allocUnsafe(Math.max(batch.length * 2, batchLength + length));
    batch.copy(bigger, 0, 0, batchLength);
    batch = bigger;
  }
  logBytes.copy(batch, batchLength, index, index + length);
  batchLength += length;
  batchRecords += 1;
};

function publishWatermark(written: number, durable: number): void {
  if (init.ack === 'processed') return; // nobody waits for it
  for (;;) {
    const at = completions.tryClaim(WATERMARK_BYTES);
    if (at >= 0) {
      completionView.setUint8(at, CompletionType.Watermark);
      completionView.setInt32(at + 4, written, true);
      completionView.setInt32(at + 8, durable, true);
      completions.commit(WATERMARK_BYTES);
      return;
    }
    completions.waitForSpace(WATERMARK_BYTES, 1000);
  }
}

function fail(err: unknown): never {
  // Node's fs errors already start with their code ("EFBIG: file too large, write").
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code ?? err.name : '';
  const reason = !(err instanceof Error) ? String(err) : err.message.startsWith(`${code}:`) ? err.message : `${code}: ${err.message}`;
  tell({ type: 'failed', reason });
  // Stop consuming: nothing after this point may be acknowledged.
  process.exit(1);
}

function writeBatch(): void {
  if (batchLength === 0) return;
  const upTo = log.readPosition;
  try {
    boom.write(batch.subarray(0, batchLength) as unknown as string);
    if (failure !== null) throw failure;
    if (init.ack === 'fsync') {
      const started = performance.now();
      fs.fdatasyncSync(fdOf(boom));
      observe(counters, WR_FSYNC, (performance.now() - started) / 1000);
    }
  } catch (err) {
    fail(err);
  }
  records += batchRecords;
  bytes += batchLength;
  counters[WR_RECORDS]! += batchRecords;
  counters[WR_BYTES]! += batchLength;
  counters[WR_BATCHES]! += 1;
  observe(counters, WR_BATCH_SIZE, batchRecords);
  batchLength = 0;
  batchRecords = 0;
  publishWatermark(upTo, upTo);
}

/**
 * The last fsync, so a clean shutdown leaves the log on disk in every ack
 * mode. A log that is a pipe or a character device (a FIFO read by a log
 * shipper, /dev/stdout) cannot be synced and says so with EINVAL: nothing is
 * lost by skipping it, everything was written. In --ack fsync such a log
 * fails at the first batch instead, as it must.
 */
function syncAtClose(fd: number): void {
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  }
}

function handleControl(): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const message = m.message as ToWriter;
    switch (message.type) {
      case 'reopen':
        // logrotate renamed the file: later records go to a new file at the
        // configured path. Everything before is already written.
        boom.reopen();
        if (failure !== null) fail(failure);
        tell({ type: 'reopened', file: init.logFile });
        break;
      default: {
        const never: never = message.type;
        throw new Error(`this should not happen: writer got ${String(never)}`);
      }
    }
  }
}

for (;;) {
  const n = log.drain(collect);
  writeBatch();
  if (nudged) { nudged = false; handleControl(); }
  if (n > 0) continue;
  if (log.waitForData() === 'closed' && !log.hasData()) break;
}
writeBatch();
try {
  boom.flushSync();
  syncAtClose(fdOf(boom));
  boom.end();
} catch (err) {
  fail(err);
}
tell({ type: 'closed', records, bytes });
