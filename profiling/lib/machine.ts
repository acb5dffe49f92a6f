/**
 * The machine a benchmark ran on, printed with its figures: CPU model, cores,
 * memory, kernel, Node, and the load average (others' work skews every
 * figure, and on a shared machine it is the first thing to check).
 */
import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly python: string | null;
  readonly gcc: string | null;
  /** 1, 5 and 15 minute load averages when asked. */
  readonly loadAverage: readonly number[];
}

function cpuModel(): string {
  const model = os.cpus()[0]?.model.trim();
  if (model !== undefined && model !== '') return model;
  try {
    // Some virtual machines leave os.cpus()'s model empty; /proc/cpuinfo has it.
    return /model name\s*:\s*(.+)/u.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(python: string | null, gcc: string | null): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    python,
    gcc,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Node ${m.node}`
    + `${m.python === null ? '' : `, ${m.python}`}${m.gcc === null ? '' : `, ${m.gcc}`}; load average ${m.loadAverage.join(' ')}`;
}
