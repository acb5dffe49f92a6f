/**
 * The spinners that keep a VM's cores awake during hostile-input's
 * measurements: one per core, pinned, at SCHED_IDLE, gone after stop().
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { keepCoresAwake } from './reliability/lib/awake-cores.js';

/** SCHED_IDLE in sched(7); the policy is field 41 of /proc/PID/stat. */
const SCHED_IDLE = 5;

function policyOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

function cpusAllowedOf(pid: number): string {
  return /^Cpus_allowed_list:\s*(\S+)$/mu.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
}

test('keeping the cores awake runs one SCHED_IDLE spinner pinned to each core, and stop() ends them all', async (t) => {
  const awake = await keepCoresAwake();
  t.after(() => awake.stop());
  assert.equal(awake.cores, os.availableParallelism());
  assert.equal(awake.pids.length, awake.cores);
  for (const [core, pid] of awake.pids.entries()) {
    assert.equal(policyOf(pid), SCHED_IDLE, `spinner on core ${core}`);
    assert.equal(cpusAllowedOf(pid), String(core));
    // chrt and taskset exec'd the shell: the spinner's parent is this process, which it watches.
    assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\0-c\0/u);
  }
  await awake.stop();
  for (const pid of awake.pids) assert.equal(fs.existsSync(`/proc/${pid}`), false, `spinner ${pid} still there after stop()`);
});
