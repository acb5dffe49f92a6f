/**
 * Starts a server as a child process and knows when it is ready: every
 * ringpool-compatible server (ringpool itself, the peers) prints one JSON
 * line on stderr with "msg":"ready" and its bound ports. Used by the
 * integration tests and the benchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly ports: Readonly<Record<string, number>>;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every stderr line so far (operational log, JSON lines). */
  readonly stderrLines: string[];
  readonly exited: Promise<Exit>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** Resolves with the first stderr line (past or future) that matches. */
  waitForStderr(pattern: RegExp): Promise<string>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly readyTimeoutMs?: number;
}

/**
 * Spawns `cmd` (stdout ignored, stderr captured line by line) and resolves
 * once the ready line arrives. Rejects, with the stderr captured so far, if
 * the process cannot be spawned, exits first, or stays silent for
 * `readyTimeoutMs` (default 15 s; the child is then SIGKILLed).
 */
export async function startServer(cmd: readonly string[], opts: StartOptions = {}): Promise<ServerProcess> {
  const [file, ...args] = cmd;
  if (file === undefined) throw new Error('startServer: empty command');
  // The HTTP front's default port is fixed (8080): two servers at once would
  // collide, so it is off unless the command asks for it (--http-port 0).
  // Flags win over the environment; peers ignore the variable.
  const env = { RINGPOOL_HTTP_PORT: 'off', ...(opts.env ?? process.env) };
  const child = spawn(file, args, { cwd: opts.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderrLines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  // 'close' rather than 'exit': it comes after stderr has been read to its end.
  // A spawn failure (ENOENT) emits 'error' and then 'close' with code -2
  // or null, so the promise always settles.
  let spawnError: Error | null = null;
  child.once('error', (err) => { spawnError = err; });
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const addLine = (line: string): void => {
    stderrLines.push(line);
    for (let i = watchers.length - 1; i >= 0; i--) {
      if (watchers[i]!.pattern.test(line)) { watchers[i]!.resolve(line); watchers.splice(i, 1); }
    }
  };
  let rest = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) addLine(line);
  });
  child.stderr!.on('end', () => { if (rest !== '') { addLine(rest); rest = ''; } });
  const waitForStderr = (pattern: RegExp): Promise<string> => {
    const seen = stderrLines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => watchers.push({ pattern, resolve }));
  };
  const timeoutMs = opts.readyTimeoutMs ?? 15_000;
  return await new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd.join(' ')}: no ready line within ${timeoutMs} ms\n${stderrLines.join('\n')}`));
    }, timeoutMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      const why = spawnError === null ? `exited (${code ?? signal})` : `could not start (${String(spawnError)})`;
      reject(new Error(`${cmd.join(' ')} ${why} before it was ready\n${stderrLines.join('\n')}`));
    });
    void waitForStderr(/"msg":"ready"/).then((line) => {
      clearTimeout(timer);
      const ports = (JSON.parse(line) as { ports: Record<string, number> }).ports;
      resolve({
        ports,
        pid: child.pid!,
        child,
        stderrLines,
        exited,
        waitForStderr,
        stop(signal: NodeJS.Signals = 'SIGTERM') {
          // Already gone: kill() is a no-op and `exited` has settled.
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** CPU seconds (user + system, all threads) a live process has used. */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces: split after ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Peak resident set size (VmHWM) of a live process, in bytes. */
export function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/u.exec(status)?.[1] ?? 0) * 1024;
}

/** Current resident set size (VmRSS) of a live process, in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/u.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * CPU seconds the live threads of a process have run, to the nanosecond
 * (the first field of each /proc/PID/task/TID/schedstat), where
 * `cpuSecondsOf` counts 10 ms ticks. For idle measurements, whose whole
 * budget is a few ticks. Threads that exited are not counted: compare two
 * readings only across a window in which no thread exits.
 */
export function threadsCpuSecondsOf(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += runNanoseconds(pid, tid);
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return ns / 1e9;
}

/** The same for the process's main thread alone (its thread id is the pid): a Node server's event loop. */
export function mainThreadCpuSecondsOf(pid: number): number {
  return runNanoseconds(pid, String(pid)) / 1e9;
}

function runNanoseconds(pid: number, tid: string): number {
  return Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}
