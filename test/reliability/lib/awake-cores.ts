/**
 * Keeps every core of a VM busy at the lowest priority, so that its virtual
 * CPUs never halt while a latency is measured.
 *
 * Why: on this project's VM (2 vCPUs on a shared host), a thread woken on an
 * idle core waits for the host to run that vCPU again, and the host counts
 * the wait as steal. `perf bench sched pipe` (two processes waking each
 * other), alternated 4 times with and without these spinners: 72-133 µs a
 * round trip and 0.2-21.7% steal without, 20-34 µs and 0-0.6% steal with.
 * A busy loop on both cores sees under 1% steal over 60 s; the idle VM sees
 * none. So the steal that moved the hostile-input p99s by 4x between rounds
 * is the price of waking a halted vCPU on a busy host, which a dedicated
 * machine does not pay. With the cores kept awake, a wake-up is a switch
 * inside the VM.
 *
 * The spinners are SCHED_IDLE (`chrt --idle 0`), one pinned to each core: a
 * task of any other policy that wakes preempts one at once, and a core
 * running only a spinner counts as idle when the scheduler places a waking
 * task. They loop in user mode (no system call but a rare check that their
 * parent is alive), where a preemption takes effect at the next interrupt.
 * Any hostile clients at SCHED_IDLE share the idle time with them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';

/**
 * Says it runs (once chrt and taskset have set it up and exec'd the shell),
 * then checks its parent every 100,000 turns (a few ms) and ends when it is gone.
 */
const SPIN = 'echo spinning; i=0; while :; do i=$((i+1)); if [ "$i" -ge 100000 ]; then i=0; kill -0 "$PPID" 2>/dev/null || exit 0; fi; done';

export interface AwakeCores {
  readonly cores: number;
  /** The spinners' process ids, the one on core k at k. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/**
 * One spinner per core until stop(). stop() throws if a spinner had ended
 * by itself (a core it could not be pinned to, say): the window it should
 * have covered was measured without it.
 */
export async function keepCoresAwake(): Promise<AwakeCores> {
  const spinners: ChildProcess[] = [];
  const ended: string[] = [];
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(spinners.map((s) => new Promise<void>((resolve) => {
      if (s.exitCode !== null || s.signalCode !== null) resolve();
      else {
        s.once('exit', () => resolve());
        s.kill('SIGKILL');
      }
    })));
    if (ended.length > 0) throw new Error(`a spinner keeping the cores awake ended early: ${ended.join('; ')}`);
  };
  try {
    for (let core = 0; core < os.availableParallelism(); core++) {
      // chrt and taskset exec what they run: the spinner's parent is this process.
      const s = spawn('chrt', ['--idle', '0', 'taskset', '-c', String(core), 'sh', '-c', SPIN], { stdio: ['ignore', 'pipe', 'pipe'] });
      spinners.push(s);
      let stderr = '';
      s.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      s.once('close', (code, signal) => { if (!stopping) ended.push(`core ${core}: exit ${signal ?? code} ${stderr.trim()}`); });
      await new Promise<void>((resolve, reject) => {
        s.stdout!.once('data', () => resolve());
        s.once('error', (err) => reject(new Error(`could not start a spinner on core ${core} (chrt, taskset and sh are needed): ${err.message}`)));
        s.once('close', (code, signal) => reject(new Error(`the spinner for core ${core} ended before it ran: exit ${signal ?? code} ${stderr.trim()}`)));
      });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { cores: spinners.length, pids: spinners.map((s) => s.pid!), stop };
}
