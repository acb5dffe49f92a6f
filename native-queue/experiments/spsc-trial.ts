/**
 * One timed transfer through a minimal SPSC ring: a producer thread and a
 * consumer thread, `count` values, busy-polling. Shared by the padding and
 * cursor-width experiments.
 */
import { runThreads } from './experiment-threads.js';
import { type SpscOptions, createSpsc32 } from './spsc-ring-32.js';
import { createSpsc64 } from './spsc-ring-64.js';
import { maxOrNull } from './thread-schedstat.js';
import type { CursorKind, SpscThreadData, SpscThreadResult } from './spsc-thread.js';

export interface SpscTrial {
  readonly msgsPerS: number;
  /** Per million values: polls that found the ring full / empty. */
  readonly fullPollsPerM: number;
  readonly emptyPollsPerM: number;
  /** The larger of the two threads' run-queue waiting shares (0..1), null off Linux. */
  readonly runQueueWait: number | null;
}

const ENTRY = new URL('./spsc-thread.js', import.meta.url);

export async function spscTrial(cursors: CursorKind, options: SpscOptions, count: number): Promise<SpscTrial> {
  const buffer = cursors === 'int32' ? createSpsc32(options) : createSpsc64(options);
  const label = `spsc ${cursors} stride ${options.strideBytes} ${options.cacheRemote ? 'cached' : 'uncached'}`;
  const data: SpscThreadData[] = [
    { role: 'producer', cursors, buffer, options, count },
    { role: 'consumer', cursors, buffer, options, count },
  ];
  // Generous: a trial takes well under a second unless the machine is starved.
  const [producer, consumer] = await runThreads<SpscThreadData, SpscThreadResult>(ENTRY, data, label, 60_000);
  const start = producer!.startNs < consumer!.startNs ? producer!.startNs : consumer!.startNs;
  const seconds = Number(consumer!.endNs - start) / 1e9;
  return {
    msgsPerS: count / seconds,
    fullPollsPerM: (producer!.idlePolls * 1e6) / count,
    emptyPollsPerM: (consumer!.idlePolls * 1e6) / count,
    runQueueWait: maxOrNull(producer!.runQueueWait, consumer!.runQueueWait),
  };
}
