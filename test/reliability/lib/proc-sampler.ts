/**
 * Samples a process's RSS and open file descriptors on a thread of its own.
 *
 * Counting the descriptors of a server holding 1,300 connections reads a
 * 1,300-entry /proc directory: about 1 ms, measured. Done every 100 ms on the
 * event loop of the well-behaved client that measures its latency, that was
 * a 1% share of stalls in the very client measuring its p99, present only in
 * the attack phases (the baseline sampled nothing). Here it runs on a worker
 * thread, and the measuring event loop never waits for it.
 *
 * This file is both sides: imported, it starts the thread; run as the
 * thread (workerData.role), it samples until told to stop.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { rssBytes } from '../../../profiling/server-process.js';
import { fdCount } from './proc.js';

const ROLE = 'proc-sampler';

export interface ProcPeaks {
  /** The largest of the samples; 0 for one the process did not answer (gone). */
  readonly rssMax: number;
  readonly fdMax: number;
}

interface SamplerData {
  readonly role: typeof ROLE;
  readonly pid: number;
  readonly intervalMs: number;
}

export class ProcSampler {
  readonly #worker: Worker;
  readonly #peaks: Promise<ProcPeaks>;

  /** Starts sampling `pid` now and every `intervalMs`. */
  constructor(pid: number, intervalMs: number) {
    const data: SamplerData = { role: ROLE, pid, intervalMs };
    this.#worker = new Worker(new URL(import.meta.url), { workerData: data });
    this.#peaks = new Promise((resolve, reject) => {
      this.#worker.once('message', (peaks: ProcPeaks) => resolve(peaks));
      this.#worker.once('error', reject);
      this.#worker.once('exit', (code) => reject(new Error(`proc sampler exited (${code}) before reporting`)));
    });
  }

  /** Stops sampling; the peaks of every sample taken. */
  stop(): Promise<ProcPeaks> {
    this.#worker.postMessage('stop');
    return this.#peaks;
  }
}

function sampleUntilStopped({ pid, intervalMs }: SamplerData): void {
  let rssMax = 0;
  let fdMax = 0;
  const sample = (): void => {
    try {
      rssMax = Math.max(rssMax, rssBytes(pid));
      fdMax = Math.max(fdMax, fdCount(pid));
    } catch {
      // the process is gone: the caller's liveness check says so
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  parentPort!.once('message', () => {
    clearInterval(timer);
    sample();
    parentPort!.postMessage({ rssMax, fdMax } satisfies ProcPeaks);
  });
}

if (!isMainThread && (workerData as Partial<SamplerData> | null)?.role === ROLE) sampleUntilStopped(workerData as SamplerData);
