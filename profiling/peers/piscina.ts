/**
 * The standard Node answer to "offload CPU work": the job handed to a piscina
 * pool (https://github.com/piscinajs/piscina) of `--workers` threads
 * (default: available parallelism, as ringpool's), one `pool.run()` per
 * message, its promise answered in request order. The event loop keeps the
 * sockets, the framing and the log (fs.createWriteStream), as in the inline
 * peer; only where the job runs differs.
 *
 *   node dist/profiling/peers/piscina.js [--workers N] [the inline peer's flags]
 */
import { Piscina } from 'piscina';
import type { JobOutcome } from '../../src/job/jobs.js';
import type { PiscinaTask } from './piscina-job.js';
import { parsePeerConfig, servePeer } from './peer-server.js';

const config = parsePeerConfig('piscina', process.argv.slice(2), true);
const pool = new Piscina<PiscinaTask, JobOutcome>({
  filename: new URL('./piscina-job.js', import.meta.url).href,
  minThreads: config.workers,
  maxThreads: config.workers,
});

await servePeer('piscina', config, (buf, start, end) => {
  // A copy with its own ArrayBuffer: the frame may sit in a reused decoder
  // buffer, and cloning a view would clone the whole chunk behind it.
  const bytes = new Uint8Array(buf.subarray(start, end));
  return pool.run({ job: config.job, work: config.jobWork, bytes }, { transferList: [bytes.buffer] });
}, () => pool.destroy());
