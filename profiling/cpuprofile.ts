/**
 * Reading V8 `.cpuprofile` files (what `node --cpu-prof` writes, one per
 * thread): the self time of each function, and which of this server's entry
 * files a thread ran.
 *
 * The sampler records one stack per tick (about 1 ms) of wall-clock time on
 * its thread, so a thread blocked in `Atomics.wait` is sampled in the
 * JavaScript function that called it, and an event loop waiting in epoll is
 * the pseudo-function `(idle)`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** Node id of each sample's top frame. */
  readonly samples: readonly number[];
  /** Microseconds from the previous sample (from startTime for the first). */
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  /** The function's name, or V8's pseudo-frame: (idle), (program), (garbage collector). */
  readonly name: string;
  /** `file:line` (relative to `root` when inside it), or '' for pseudo-frames. */
  readonly location: string;
  readonly ms: number;
  /** Share of the profile's sampled time, 0..1. */
  readonly share: number;
}

export function readCpuProfile(file: string): CpuProfile {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CpuProfile>;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
    throw new Error(`${file}: not a V8 .cpuprofile (needs nodes, samples and timeDeltas arrays)`);
  }
  return profile as CpuProfile;
}

function location(frame: CallFrame, root: string): string {
  if (frame.url === '') return '';
  const file = frame.url.startsWith('file://') ? path.relative(root, fileURLToPath(frame.url)) : frame.url;
  return `${file}:${frame.lineNumber + 1}`;
}

/**
 * Self time per function (every node of the same function and line summed),
 * longest first. A sample lasts until the next one; the last, until endTime.
 */
export function selfTimes(profile: CpuProfile, root: string): SelfTime[] {
  const byNode = new Map<number, number>();
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => (t += d));
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const next = i + 1 < times.length ? times[i + 1]! : profile.endTime;
    const micros = Math.max(0, next - times[i]!);
    const id = profile.samples[i]!;
    byNode.set(id, (byNode.get(id) ?? 0) + micros);
    total += micros;
  }
  const byFunction = new Map<string, { name: string; location: string; micros: number }>();
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id);
    if (micros === undefined) continue;
    const name = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
    const where = location(node.callFrame, root);
    const key = `${name}\0${where}`;
    const entry = byFunction.get(key) ?? { name, location: where, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.micros - a.micros)
    .map((f) => ({ name: f.name, location: f.location, ms: f.micros / 1000, share: total === 0 ? 0 : f.micros / total }));
}

/** Every script URL the profile sampled code from. */
export function scriptUrls(profile: CpuProfile): Set<string> {
  return new Set(profile.nodes.map((n) => n.callFrame.url).filter((u) => u !== ''));
}
