/**
 * Whole-server benchmark: ringpool in its three ack modes against the
 * baseline a user would write first (profiling/peers/inline.ts: the job
 * inline on one event loop, the log through fs.createWriteStream).
 *
 *   npm run bench:server -- [--quick] [--reps 3] [--duration 8] [--warmup 2]
 *     [--connections 8] [--depth 64] [--messages trivial|default] [--job-work 0]
 *     [--workers N] [--targets inline,processed,written,fsync]
 *     [--ringpool|--server-cmd "node dist/src/main.js"] [--json]
 *
 * Method: line protocol, closed loop (C connections x D pipelined requests),
 * every answer checked. Each run starts a fresh server process with its log
 * in a new temporary directory, loads it (warm-up unmeasured), reads the
 * server's CPU time and peak RSS from /proc, stops it with SIGTERM and checks
 * the log has one record per answer. Targets run in turn, in alternating
 * order from one repetition to the next, so a slow drift of the machine
 * (heat, another tenant) does not always land on the same target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type LoadResult, type MessageSetName, runLoad } from './load-client.js';
import { cpuSecondsOf, peakRssBytes, startServer } from './server-process.js';

const TARGETS = ['inline', 'processed', 'written', 'fsync'] as const;
type Target = (typeof TARGETS)[number];

interface BenchOptions {
  readonly reps: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly depth: number;
  readonly messages: MessageSetName;
  readonly jobWork: number;
  readonly workers: number | null;
  readonly targets: readonly Target[];
  readonly ringpool: readonly string[];
  readonly json: boolean;
}

interface RunRecord {
  readonly target: Target;
  readonly rep: number;
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly requests: number;
  readonly serverCpuS: number;
  readonly cpuMsPer1000: number;
  readonly peakRssMiB: number;
  /** The load client's own CPU, % of one core: near 100 it, not the server, may be the limit. */
  readonly clientCpuPct: number;
  readonly logRecords: number;
  readonly answered: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const INLINE_PEER = [process.execPath, path.join(here, 'peers/inline.js')];
const RINGPOOL = [process.execPath, path.join(here, '../src/main.js')];

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      'quick': { type: 'boolean', default: false },
      'reps': { type: 'string' },
      'duration': { type: 'string' },
      'warmup': { type: 'string' },
      'connections': { type: 'string', default: '8' },
      'depth': { type: 'string', default: '64' },
      'messages': { type: 'string', default: 'trivial' },
      'job-work': { type: 'string', default: '0' },
      'workers': { type: 'string' },
      'targets': { type: 'string', default: TARGETS.join(',') },
      'ringpool': { type: 'string' },
      'server-cmd': { type: 'string' }, // the same as --ringpool
      'json': { type: 'boolean', default: false },
    },
  });
  const num = (name: string, raw: string, min: number, integer = true): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
    return n;
  };
  const targets = values.targets.split(',').map((t) => {
    if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`--targets: unknown target "${t}" (known: ${TARGETS.join(', ')})`);
    return t as Target;
  });
  if (values.messages !== 'trivial' && values.messages !== 'default') throw new Error(`--messages must be trivial or default, got "${values.messages}"`);
  return {
    reps: num('reps', values.reps ?? (values.quick ? '1' : '3'), 1),
    durationS: num('duration', values.duration ?? (values.quick ? '3' : '8'), 0.1, false),
    warmupS: num('warmup', values.warmup ?? (values.quick ? '1' : '2'), 0, false),
    connections: num('connections', values.connections, 1),
    depth: num('depth', values.depth, 1),
    messages: values.messages,
    jobWork: num('job-work', values['job-work'], 0),
    workers: values.workers === undefined ? null : num('workers', values.workers, 1),
    targets,
    ringpool: (values['server-cmd'] ?? values.ringpool)?.split(/\s+/u).filter((s) => s !== '') ?? RINGPOOL,
    json: values.json,
  };
}

function serverCommand(o: BenchOptions, target: Target, logFile: string): string[] {
  const common = ['--seed-port', 'off', '--line-port', '0', '--binary-port', 'off',
    '--job', 'prime-count', '--job-work', String(o.jobWork), '--log-file', logFile, '--log-format', 'seed'];
  if (target === 'inline') return [...INLINE_PEER, ...common];
  return [...o.ringpool, ...common, '--ack', target, ...(o.workers === null ? [] : ['--workers', String(o.workers)])];
}

/** Newlines in a file, read in 1 MiB chunks (the log can be hundreds of MB). */
function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
      for (let i = buf.indexOf(0x0a); i >= 0 && i < n; i = buf.indexOf(0x0a, i + 1)) lines++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

async function runOnce(o: BenchOptions, target: Target, rep: number): Promise<RunRecord> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-bench-'));
  try {
    const logFile = path.join(dir, 'log.txt');
    const server = await startServer(serverCommand(o, target, logFile));
    let load: LoadResult;
    let cpuStart = 0;
    let cpuEnd = 0;
    let peak = 0;
    try {
      load = await runLoad({
        port: server.ports['line']!, protocol: 'line', connections: o.connections, depth: o.depth,
        durationS: o.durationS, warmupS: o.warmupS, messageSet: o.messages,
        onMeasureStart: () => { cpuStart = cpuSecondsOf(server.pid); },
      });
      cpuEnd = cpuSecondsOf(server.pid);
      peak = peakRssBytes(server.pid);
    } finally {
      const exit = await server.stop();
      if (exit.code !== 0) process.stderr.write(`bench: ${target} exited with ${exit.code ?? exit.signal}\n${server.stderrLines.slice(-5).join('\n')}\n`);
    }
    if (load.wrong > 0 || load.errors > 0) {
      throw new Error(`${target}: ${load.wrong} wrong answers, ${load.errors} errors: ${JSON.stringify([...load.wrongSamples, ...load.errorSamples])}`);
    }
    const logRecords = countLines(logFile);
    // Every ack mode answers only what it has processed; written and fsync
    // only what is in the log. After a clean stop each answer has its record.
    if (logRecords !== load.totalAnswered) {
      process.stderr.write(`bench: ${target}: ${logRecords} log records for ${load.totalAnswered} answers\n`);
    }
    return {
      target, rep,
      rps: load.rps,
      p50Us: load.latencyUs.p50,
      p99Us: load.latencyUs.p99,
      p999Us: load.latencyUs.p999,
      requests: load.requests,
      serverCpuS: cpuEnd - cpuStart,
      cpuMsPer1000: ((cpuEnd - cpuStart) * 1000 * 1000) / Math.max(1, load.requests),
      peakRssMiB: peak / (1 << 20),
      clientCpuPct: (100 * load.clientCpuS) / load.durationS,
      logRecords,
      answered: load.totalAnswered,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Summary { readonly median: number; readonly min: number; readonly max: number }

function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / (1 << 30)),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
  };
}

const METRICS = [
  { key: 'rps', label: 'req/s', digits: 0 },
  { key: 'p50Us', label: 'p50 µs', digits: 0 },
  { key: 'p99Us', label: 'p99 µs', digits: 0 },
  { key: 'p999Us', label: 'p99.9 µs', digits: 0 },
  { key: 'cpuMsPer1000', label: 'CPU ms/1000 req', digits: 1 },
  { key: 'peakRssMiB', label: 'peak RSS MiB', digits: 0 },
  { key: 'clientCpuPct', label: 'client CPU %', digits: 0 },
] as const;

type MetricKey = (typeof METRICS)[number]['key'];

function cell(s: Summary, digits: number, reps: number): string {
  const f = (n: number): string => n.toFixed(digits);
  return reps === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench-server: ${(err as Error).message}\n`);
    return 2;
  }
  const runs: RunRecord[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const order = rep % 2 === 0 ? o.targets : [...o.targets].reverse();
    for (const target of order) {
      if (!o.json) process.stderr.write(`rep ${rep + 1}/${o.reps} ${target} ... `);
      const r = await runOnce(o, target, rep);
      runs.push(r);
      if (!o.json) process.stderr.write(`${Math.round(r.rps)} req/s, p99 ${r.p99Us} µs\n`);
    }
  }
  const summary = Object.fromEntries(o.targets.map((t) => {
    const mine = runs.filter((r) => r.target === t);
    return [t, Object.fromEntries(METRICS.map((m) => [m.key, summarize(mine.map((r) => r[m.key]))])) as Record<MetricKey, Summary>];
  })) as Partial<Record<Target, Record<MetricKey, Summary>>>;
  const ratio = (a: Target, b: Target): number | null => {
    const x = summary[a]?.rps.median;
    const y = summary[b]?.rps.median;
    return x === undefined || y === undefined || y === 0 ? null : x / y;
  };
  const ratios = { writtenOverInline: ratio('written', 'inline'), writtenOverProcessed: ratio('written', 'processed') };
  const method = {
    protocol: 'line', connections: o.connections, depth: o.depth, durationS: o.durationS, warmupS: o.warmupS,
    reps: o.reps, messages: o.messages, job: 'prime-count', jobWork: o.jobWork, workers: o.workers ?? 'ringpool default',
    ringpool: o.ringpool.join(' '), order: 'alternating (forward, reversed, ...)',
  };

  if (o.json) {
    process.stdout.write(`${JSON.stringify({ machine: machine(), method, summary, ratios, runs })}\n`);
    return 0;
  }
  const m = machine();
  const lines = [
    '',
    `machine: ${m['cpu']}, ${m['cores']} cores, ${m['memoryGiB']} GiB, Node ${m['node']}, ${m['kernel']}`,
    `method: line protocol, ${o.connections} connections x ${o.depth} pipelined, closed loop, ${o.messages} messages, job prime-count work ${o.jobWork};`,
    `        fresh server per run, ${o.warmupS} s warm-up + ${o.durationS} s measured, ${o.reps} rep(s) in alternating order;`,
    `        server CPU from /proc (all threads) over the measured window; ${o.reps > 1 ? 'median (min–max)' : 'single run'}.`,
    `inline = ${INLINE_PEER.slice(1).join(' ')}; ringpool = ${o.ringpool.join(' ')} --ack <mode>${o.workers === null ? '' : ` --workers ${o.workers}`}`,
    '',
  ];
  const header = ['target', ...METRICS.map((x) => x.label)];
  const rows = o.targets.map((t) => [t === 'inline' ? 'inline' : `ack ${t}`, ...METRICS.map((x) => cell(summary[t]![x.key], x.digits, o.reps))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), '');
  if (ratios.writtenOverInline !== null) lines.push(`req/s ratio  written / inline:    ${ratios.writtenOverInline.toFixed(2)}`);
  if (ratios.writtenOverProcessed !== null) lines.push(`req/s ratio  written / processed: ${ratios.writtenOverProcessed.toFixed(2)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

process.exitCode = await main();
