/**
 * The load every profile runs under: JMeter's throughput plan
 * (`jmeter/throughput.jmx`: persistent connections on the line listener,
 * generated and Unicode messages, every answer asserted) through
 * `jmeter/run`, and what its results say was acknowledged.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJtl } from '../jmeter/jtl.js';

/** The repository root: this file runs as dist/profiling/jmeter-load.js. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const JMETER_RUN = path.join(ROOT, 'jmeter', 'run');
export const THROUGHPUT_PLAN = path.join(ROOT, 'jmeter', 'throughput.jmx');

export interface JmeterLoad {
  /** Seconds the plan runs (its -Jduration). */
  readonly durationS: number;
  /** JMeter threads, one persistent connection each (its -Jthreads). */
  readonly threads: number;
}

/** `jmeter/run`'s arguments for the throughput plan against `port` (a number, or `$PORT` for a shell to fill in). */
export function throughputPlanArgs(port: string, load: JmeterLoad): string[] {
  return [THROUGHPUT_PLAN, `-Jport=${port}`, `-Jduration=${load.durationS}`, `-Jthreads=${load.threads}`];
}

export interface JmeterOutcome {
  readonly samples: number;
  /** Samples whose answer arrived and passed the plan's assertion: requests the server acknowledged. */
  readonly successful: number;
  readonly failed: number;
}

/** Counts the samples of `jmeter/run`'s results folder (its `results.jtl`). */
export function jmeterOutcome(resultsDir: string): JmeterOutcome {
  const samples = readJtl(path.join(resultsDir, 'results.jtl'));
  const successful = samples.filter((s) => s.success).length;
  return { samples: samples.length, successful, failed: samples.length - successful };
}
