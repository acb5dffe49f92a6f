/**
 * The task a piscina worker runs: ringpool's job on the message bytes. The
 * outcome is a plain object, so it crosses back to the main thread by
 * structured clone.
 */
import { type JobName, type JobOutcome, runJob } from '../../src/job/jobs.js';

export interface PiscinaTask {
  readonly job: JobName;
  readonly work: number;
  readonly bytes: Uint8Array;
}

export default function run(task: PiscinaTask): JobOutcome {
  return runJob(task.job, task.bytes, task.work);
}
