/**
 * The baseline a user would write first: one thread, the job run inline on
 * the event loop, the request log appended with fs.createWriteStream. Same
 * protocols, flags and ready line as ringpool, so the same load client and
 * benchmark drive both.
 *
 *   node dist/profiling/peers/inline.js [--host 127.0.0.1] [--seed-port 5050|off]
 *     [--line-port 5051|off] [--binary-port 5052|off] [--binary-prefix 2|4]
 *     [--job prime-count|echo] [--job-work 0] [--log-file server_log.txt]
 *     [--log-format seed|jsonl]
 */
import { runJob } from '../../src/job/jobs.js';
import { parsePeerConfig, servePeer } from './peer-server.js';

const config = parsePeerConfig('inline', process.argv.slice(2), false);
// A view, not a copy: the job reads the bytes before the call returns.
await servePeer('inline', config, (buf, start, end) => runJob(config.job, buf.subarray(start, end), config.jobWork));
