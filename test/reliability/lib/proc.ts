/** Figures of a live process read from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Open file descriptors (sockets, the log, pipes, epoll...). */
export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** This shell's soft and hard limits on open files (`ulimit -n`, `ulimit -Hn`). */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string): number => {
    const out = execFileSync('bash', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

/**
 * A command prefix that raises the open-files limit to `needed` for the
 * process it starts, or none when the current limit is enough. Throws when
 * the hard limit is too low (raising it needs root).
 */
export function fdLimitWrapper(needed: number): { wrapper: string[]; note: string } {
  const { soft, hard } = fileLimits();
  if (soft >= needed) return { wrapper: [], note: `open-files limit ${soft} is enough (needs ${needed})` };
  if (hard < needed) throw new Error(`needs ${needed} open files, hard limit is ${hard}: raise it (ulimit -Hn, as root) or use fewer connections`);
  return { wrapper: ['bash', '-c', `ulimit -n ${needed} && exec "$@"`, '--'], note: `raised the open-files limit from ${soft} to ${needed} (ulimit -n)` };
}

export interface ListeningSocket {
  /** Dotted IPv4 or full IPv6 (colon-separated, lower case hex). */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/**
 * The TCP sockets in LISTEN state that `pid` holds, read from
 * /proc/<pid>/fd (socket inodes) and /proc/net/tcp, tcp6 (addresses): what
 * the kernel has bound, whatever the process says it asked for.
 */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/u.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  const out: ListeningSocket[] = [];
  for (const family of [4, 6] as const) {
    const file = family === 4 ? '/proc/net/tcp' : '/proc/net/tcp6';
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/u);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A: TCP_LISTEN
      const [hex, port] = f[1]!.split(':') as [string, string];
      out.push({ address: family === 4 ? ipv4(hex) : ipv6(hex), port: Number.parseInt(port, 16), family });
    }
  }
  return out;
}

/** /proc/net/tcp prints an IPv4 address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** ...and an IPv6 address as four such words. */
function ipv6(hex: string): string {
  const bytes: string[] = [];
  for (let w = 0; w < 4; w++) for (const i of [6, 4, 2, 0]) bytes.push(hex.slice(w * 8 + i, w * 8 + i + 2));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${bytes[i]!}${bytes[i + 1]!}`.toLowerCase());
  return groups.join(':');
}

/** The machine's CPU time so far, from /proc/stat (clock ticks, all CPUs). */
export interface CpuTicks { readonly steal: number; readonly total: number }

export function cpuTicks(): CpuTicks {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/u).slice(1).map(Number);
  // guest and guest_nice are already counted in user and nice.
  return { steal: fields[7] ?? 0, total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/**
 * Share of the machine's CPU time between two readings that the hypervisor
 * gave to someone else (steal), in percent: on a VM, what a latency window
 * lost that no process on it could see.
 */
export function stealPercent(from: CpuTicks, to: CpuTicks): number {
  const total = to.total - from.total;
  return total > 0 ? (100 * (to.steal - from.steal)) / total : 0;
}
