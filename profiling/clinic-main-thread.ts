/**
 * Preloaded into the server when a clinic tool runs it
 * (`node --import dist/profiling/clinic-main-thread.js dist/src/main.js`,
 * see profiling/profile.ts). clinic 13 is built for one JavaScript thread;
 * this server has the main thread, `--workers` workers and the writer. Run
 * from the main thread before the server starts any worker, this module
 * keeps every clinic tool on the main thread:
 *
 * 1. clinic doctor (11.0.0) and bubbleprof (10.0.0) inject their collectors
 *    as NODE_OPTIONS="-r sampler.js ..." (bubbleprof: logger.js), found
 *    through NODE_PATH. Node loads NODE_OPTIONS preloads in every worker
 *    thread too, and each thread's collector opens the same data file with
 *    O_TRUNC (strace shows four opens of `<pid>.clinic-doctor-processstat`)
 *    and writes its own samples into it: doctor's analysis then stops with
 *    "Error: Decoded message is not valid". A worker thread resolves
 *    modules with the NODE_PATH of its own copy of process.env, taken when
 *    the Worker is constructed, so pointing NODE_PATH at a folder of empty
 *    stand-ins for those preloads leaves the collectors in the main thread.
 *
 * 2. clinic flame runs 0x, which runs `node --prof`: V8 writes one isolate
 *    log per thread into the working directory, and 0x (5.8.0,
 *    platform/v8.js getIsolateLog) profiles whichever matching file readdir
 *    lists first, a worker as often as not; the others are deleted. The
 *    main isolate's log exists before this module runs (V8 opens it when the
 *    isolate is created); every later one is moved to `worker-isolates/`,
 *    where `node --prof-process` can still read it.
 *
 * It prints one JSON line on stderr, `{"msg":"clinic main thread",...}`,
 * with the server's pid, which profile.ts needs to end a server that
 * bubbleprof keeps from exiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** Bare `-r name` / `--require name` preloads in NODE_OPTIONS: the ones resolved through NODE_PATH. */
function bareRequires(nodeOptions: string): string[] {
  const words = nodeOptions.split(/\s+/u).filter((w) => w !== '');
  const names: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const value = w === '-r' || w === '--require' ? words[++i] : w.startsWith('--require=') ? w.slice('--require='.length) : undefined;
    if (value !== undefined && !value.includes('/') && !value.includes('\\')) names.push(value);
  }
  return names;
}

/** Writes empty CommonJS stand-ins for `names` and makes worker threads resolve preloads there. */
function standInsForWorkers(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  const dir = path.resolve('clinic-worker-stand-ins');
  fs.mkdirSync(dir, { recursive: true });
  // The server's package.json says "type": "module"; a stand-in must be
  // CommonJS, because `-r` loads it with require().
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  for (const name of names) {
    fs.writeFileSync(path.join(dir, name), '// Stand-in: clinic\'s collector runs in the main thread only (profiling/clinic-main-thread.ts).\n');
  }
  process.env['NODE_PATH'] = dir;
  return dir;
}

/** Moves every isolate log of this process but the main thread's out of 0x's sight. */
function keepMainIsolateLogOnly(): string | null {
  const pid = process.pid;
  // 0x's --logfile=%p-v8.log gives isolate-<address>-<pid>-<pid>-v8.log; plain --prof, one pid.
  const isolateLog = new RegExp(`^isolate-(?:0x)?[0-9A-Fa-f]+-${pid}(?:-${pid})?-v8\\.log$`, 'u');
  const existing = fs.readdirSync('.').filter((f) => isolateLog.test(f));
  if (existing.length !== 1) {
    process.stderr.write(`clinic-main-thread: expected exactly one isolate log of pid ${pid} at start, found ${existing.length}: ${existing.join(', ')}; leaving them alone\n`);
    return null;
  }
  const main = existing[0]!;
  const aside = path.resolve('worker-isolates');
  const moveWorkerLogs = (): void => {
    try {
      for (const f of fs.readdirSync('.')) {
        if (f === main || !isolateLog.test(f)) continue;
        fs.mkdirSync(aside, { recursive: true });
        fs.renameSync(f, path.join(aside, f)); // V8 keeps writing to the moved file: the rename keeps its inode
      }
    } catch (err) {
      // Never crash the profiled server over this; profile.ts then finds a worker's graph and says so.
      process.stderr.write(`clinic-main-thread: could not move worker isolate logs: ${String(err)}\n`);
    }
  };
  // Worker isolates appear as the server starts its threads (and again when
  // it replaces a dead worker): move each one as it appears, and once more
  // on exit, which 0x's detect-port preload reaches through process.exit().
  fs.watch('.', (_event, name) => { if (name !== null && isolateLog.test(name)) moveWorkerLogs(); }).unref();
  process.on('exit', moveWorkerLogs);
  return main;
}

if (isMainThread) {
  const standIns = standInsForWorkers(bareRequires(process.env['NODE_OPTIONS'] ?? ''));
  const mainIsolateLog = process.execArgv.includes('--prof') ? keepMainIsolateLogOnly() : null;
  process.stderr.write(`${JSON.stringify({ msg: 'clinic main thread', pid: process.pid, workerStandIns: standIns, mainIsolateLog })}\n`);
}
