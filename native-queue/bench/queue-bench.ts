/**
 * Throughput and latency of the native-queue rings against worker
 * postMessage, on the built output:
 *
 *   npm run bench:queue                      text report
 *   npm run bench:queue -- --json            one JSON object on stdout
 *   npm run bench:queue -- --quick           shorter runs, one repetition
 *   npm run bench:queue -- --only=1p1c       some cases (pm-copy always runs: it is the baseline)
 *
 * Progress goes to stderr. Every run is verified (count, sequence sums,
 * per-producer order); a run that lost or reordered a record fails loudly.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { MpscRing, type RingImplementation, type RingStats, SpmcRing, nativeQueueStatus, recordSize } from '../src/index.js';
import { createControl, signalStart } from './control.js';
import { type CounterCost, measureCounterCost } from './counter-cost.js';
import type { Role, RunSpec } from './messages.js';
import { verify } from './record-format.js';
import { type Latency, type RingLatency, portRoundTrip, ringRoundTrip } from './round-trip.js';
import { WorkerHandle } from './worker-handle.js';

const RING_CAPACITY = 1 << 20;
const PAYLOADS = [64, 1024] as const;
const TARGETS = { ratio_1p1c_64: 30, ratio_1p2c_64: 20 } as const;
const FIRST_WARMUP_RECORDS = 20_000;
const MIN_RECORDS = 10_000;
const MAX_RECORDS = 200_000_000;

// ── cases ───────────────────────────────────────────────────────────────────

type CaseName = '1p1c' | '1p2c' | '2p1c' | 'pm-copy' | 'pm-transfer' | '1p1c-push' | '1p2c-push'
  | '1p1c-cpp' | '1p2c-cpp' | '2p1c-cpp' | '1p1c-cpp-loop' | '1p2c-cpp-loop' | '2p1c-cpp-loop';

interface CaseDef {
  readonly name: CaseName;
  readonly label: string;
  readonly carrier: 'spmc' | 'mpsc' | 'port';
  readonly producers: number;
  readonly consumers: number;
  readonly transfer: boolean;
  /** SPMC producer: publish() every this many records (1 = tryPush, publish each). */
  readonly publishEvery: number;
  /** Ring cases: which language runs the ring in every thread (the C++ rows need the addon). */
  readonly impl: RingImplementation;
  /** Ring cases: the timed loop in JavaScript, or in C++ (native/src/bench-loops.cpp). */
  readonly loop: 'js' | 'cpp';
  /** C++ rows: the JavaScript case with the same workload, for the "x JS" column. */
  readonly twinOf?: CaseName;
}

const CASES: readonly CaseDef[] = [
  // The target rows. The SPMC producer works as the server's main thread does
  // (src/server.ts): tryClaim(), encode in place, commit(length, false), and
  // one publish() per batch (the server: per socket read; here: every 32).
  { name: '1p1c', label: 'SpmcRing 1 producer -> 1 consumer', carrier: 'spmc', producers: 1, consumers: 1, transfer: false, publishEvery: 32, impl: 'js', loop: 'js' },
  { name: '1p2c', label: 'SpmcRing 1 producer -> 2 consumers', carrier: 'spmc', producers: 1, consumers: 2, transfer: false, publishEvery: 32, impl: 'js', loop: 'js' },
  { name: '2p1c', label: 'MpscRing 2 producers -> 1 consumer', carrier: 'mpsc', producers: 2, consumers: 1, transfer: false, publishEvery: 1, impl: 'js', loop: 'js' },
  { name: 'pm-copy', label: 'postMessage Uint8Array (copy)', carrier: 'port', producers: 1, consumers: 1, transfer: false, publishEvery: 1, impl: 'js', loop: 'js' },
  { name: 'pm-transfer', label: 'postMessage ArrayBuffer (transfer)', carrier: 'port', producers: 1, consumers: 1, transfer: true, publishEvery: 1, impl: 'js', loop: 'js' },
  // The same SPMC pipelines with one tryPush() per record, each published at
  // once: a store of WRITE and a wake-up check per record.
  { name: '1p1c-push', label: 'SpmcRing 1 -> 1, tryPush() per record', carrier: 'spmc', producers: 1, consumers: 1, transfer: false, publishEvery: 1, impl: 'js', loop: 'js' },
  { name: '1p2c-push', label: 'SpmcRing 1 -> 2, tryPush() per record', carrier: 'spmc', producers: 1, consumers: 2, transfer: false, publishEvery: 1, impl: 'js', loop: 'js' },
  // The same workloads with the C++ rings (NativeSpmcRing / NativeMpscRing) in
  // every thread, driven by the same JavaScript loops: only with the addon built.
  { name: '1p1c-cpp', label: 'C++ NativeSpmcRing 1 producer -> 1 consumer', carrier: 'spmc', producers: 1, consumers: 1, transfer: false, publishEvery: 1, impl: 'native', loop: 'js', twinOf: '1p1c-push' },
  { name: '1p2c-cpp', label: 'C++ NativeSpmcRing 1 producer -> 2 consumers', carrier: 'spmc', producers: 1, consumers: 2, transfer: false, publishEvery: 1, impl: 'native', loop: 'js', twinOf: '1p2c-push' },
  { name: '2p1c-cpp', label: 'C++ NativeMpscRing 2 producers -> 1 consumer', carrier: 'mpsc', producers: 2, consumers: 1, transfer: false, publishEvery: 1, impl: 'native', loop: 'js', twinOf: '2p1c' },
  // The C++ rings again, with the loops in C++ too: no Node-API call per record.
  { name: '1p1c-cpp-loop', label: 'C++ loop, C++ SPMC 1 producer -> 1 consumer', carrier: 'spmc', producers: 1, consumers: 1, transfer: false, publishEvery: 1, impl: 'native', loop: 'cpp', twinOf: '1p1c-push' },
  { name: '1p2c-cpp-loop', label: 'C++ loop, C++ SPMC 1 producer -> 2 consumers', carrier: 'spmc', producers: 1, consumers: 2, transfer: false, publishEvery: 1, impl: 'native', loop: 'cpp', twinOf: '1p2c-push' },
  { name: '2p1c-cpp-loop', label: 'C++ loop, C++ MPSC 2 producers -> 1 consumer', carrier: 'mpsc', producers: 2, consumers: 1, transfer: false, publishEvery: 1, impl: 'native', loop: 'cpp', twinOf: '2p1c' },
];
const BASELINE: CaseName = 'pm-copy';

function roles(def: CaseDef): { producer: Role; consumer: Role } {
  switch (def.carrier) {
    case 'spmc': return { producer: 'spmc-producer', consumer: 'spmc-consumer' };
    case 'mpsc': return { producer: 'mpsc-producer', consumer: 'mpsc-consumer' };
    case 'port': return { producer: 'port-producer', consumer: 'port-consumer' };
    default: {
      const never: never = def.carrier;
      throw new Error(`this should not happen: carrier ${String(never)}`);
    }
  }
}

// ── options ─────────────────────────────────────────────────────────────────

interface Options {
  readonly json: boolean;
  /** Whether the C++ rows run, and if not why (the addon is optional). */
  readonly nativeNote: string;
  readonly quick: boolean;
  readonly cases: readonly CaseDef[];
  /** Seconds each measured run should last (records are calibrated to it). */
  readonly targetSeconds: number;
  readonly repetitions: number;
  readonly roundTrips: number;
  readonly roundTripWarmup: number;
  readonly counterIterations: number;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' } },
  });
  const quick = values.quick === true;
  const native = nativeQueueStatus();
  let cases = native.available ? CASES : CASES.filter((c) => c.impl !== 'native');
  if (values.only !== undefined) {
    const wanted = new Set(values.only.split(',').map((s) => s.trim()));
    for (const name of wanted) {
      const def = CASES.find((c) => c.name === name);
      if (def === undefined) {
        throw new Error(`--only: unknown case '${name}' (cases: ${CASES.map((c) => c.name).join(', ')})`);
      }
      if (def.impl === 'native' && !native.available) throw new Error(`--only: case '${name}' needs the C++ addon: ${native.reason}`);
    }
    cases = cases.filter((c) => wanted.has(c.name) || c.name === BASELINE);
  }
  return {
    json: values.json === true,
    nativeNote: native.available ? `C++ rows: the addon at ${native.path}` : `C++ rows: not run, ${native.reason}`,
    quick,
    cases,
    targetSeconds: quick ? 0.25 : 1,
    repetitions: quick ? 1 : 3,
    roundTrips: quick ? 2_000 : 20_000,
    roundTripWarmup: quick ? 500 : 2_000,
    counterIterations: quick ? 20_000_000 : 100_000_000,
  };
}

// ── one run ─────────────────────────────────────────────────────────────────

interface RunResult {
  readonly records: number;
  readonly seconds: number;
  readonly msgsPerSec: number;
  readonly ringStats: RingStats | null;
}

async function runOnce(
  def: CaseDef, producers: readonly WorkerHandle[], consumers: readonly WorkerHandle[],
  totalRecords: number, payload: number,
): Promise<RunResult> {
  const perProducer = Math.max(1, Math.ceil(totalRecords / def.producers));
  const control = createControl(def.producers);
  const ring = def.carrier === 'spmc' ? SpmcRing.create({ capacity: RING_CAPACITY })
    : def.carrier === 'mpsc' ? MpscRing.create({ capacity: RING_CAPACITY }) : null;
  // postMessage gets a bounded queue too: as many messages in flight as the
  // ring holds records (at least 1024), acknowledged in quarters.
  const window = Math.max(1024, Math.floor(RING_CAPACITY / recordSize(payload)));
  const channel = def.carrier === 'port' ? new MessageChannel() : null;
  if (channel !== null && (def.producers !== 1 || def.consumers !== 1)) {
    throw new Error(`${def.name}: a MessageChannel connects exactly one producer and one consumer`);
  }
  const spec = (producerId: number, port: RunSpec['port']): RunSpec => ({
    control, ring: ring?.buffer ?? null, impl: def.impl, loop: def.loop, port, producerId, producers: def.producers,
    recordsPerProducer: perProducer, payload, transfer: def.transfer, publishEvery: def.publishEvery,
    window, ackEvery: window >> 2,
  });
  producers.forEach((w, i) => {
    const port = channel?.port1 ?? null;
    w.send({ kind: 'run', spec: spec(i, port) }, port === null ? [] : [port]);
  });
  for (const w of consumers) {
    const port = channel?.port2 ?? null;
    w.send({ kind: 'run', spec: spec(-1, port) }, port === null ? [] : [port]);
  }
  await Promise.all([...producers, ...consumers].map((w) => w.receive('ready')));
  signalStart(new Int32Array(control));
  const produced = await Promise.all(producers.map((w) => w.receive('produced')));
  const consumed = await Promise.all(consumers.map((w) => w.receive('consumed')));
  const reports = consumed.map((m) => m.report);
  verify(reports, def.producers, perProducer, payload);
  // From the first producer's start to the last consumer's end, on the one
  // monotonic clock all threads share.
  const start = produced.reduce((a, m) => (m.report.startNs < a ? m.report.startNs : a), produced[0]!.report.startNs);
  const end = reports.reduce((a, r) => (r.endNs > a ? r.endNs : a), reports[0]!.endNs);
  const seconds = Number(end - start) / 1e9;
  const records = perProducer * def.producers;
  return { records, seconds, msgsPerSec: records / seconds, ringStats: ring?.stats() ?? null };
}

// ── one case: warm-up, calibration, repetitions ─────────────────────────────

interface CaseResult {
  readonly case: CaseName;
  readonly label: string;
  readonly payload: number;
  readonly records: number;
  readonly repetitions: number;
  /** Median run. */
  readonly msgsPerSec: number;
  /** Payload bytes only, 10^6 bytes per second. */
  readonly mbPerSec: number;
  readonly seconds: number;
  readonly runsMsgsPerSec: readonly number[];
  /** msgs/s over postMessage (copy) msgs/s for the same payload; null for the baseline itself. */
  ratioVsPostMessage: number | null;
  /** C++ rows: msgs/s over the JavaScript ring's msgs/s on the same workload; else null. */
  ratioVsJs: number | null;
  /** Ring counters of the median run (ring cases). */
  readonly ringStats: RingStats | null;
}

const clampRecords = (n: number): number => Math.min(MAX_RECORDS, Math.max(MIN_RECORDS, Math.round(n)));

async function measureCase(def: CaseDef, payload: number, opts: Options): Promise<CaseResult> {
  const { producer, consumer } = roles(def);
  const producers = Array.from({ length: def.producers }, () => new WorkerHandle(producer));
  const consumers = Array.from({ length: def.consumers }, () => new WorkerHandle(consumer));
  const all = [...producers, ...consumers];
  try {
    // Warm-up 1: small and fixed, gets every loop compiled. Warm-ups 2 and 3:
    // a third of the target length each; the faster of their rates sizes the
    // real runs (a single warm-up still runs below steady state and made the
    // runs come out at half the target length).
    const first = await runOnce(def, producers, consumers, FIRST_WARMUP_RECORDS, payload);
    let rate = first.msgsPerSec;
    for (let w = 0; w < 2; w++) {
      const warm = await runOnce(def, producers, consumers, clampRecords((rate * opts.targetSeconds) / 3), payload);
      rate = w === 0 ? warm.msgsPerSec : Math.max(rate, warm.msgsPerSec);
    }
    const records = clampRecords(rate * opts.targetSeconds);
    const runs: RunResult[] = [];
    for (let r = 0; r < opts.repetitions; r++) runs.push(await runOnce(def, producers, consumers, records, payload));
    const sorted = [...runs].sort((a, b) => a.msgsPerSec - b.msgsPerSec);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    await Promise.all(all.map((w) => w.exit()));
    return {
      case: def.name, label: def.label, payload, records: median.records, repetitions: runs.length,
      msgsPerSec: median.msgsPerSec, mbPerSec: (median.msgsPerSec * payload) / 1e6, seconds: median.seconds,
      runsMsgsPerSec: runs.map((r) => r.msgsPerSec), ratioVsPostMessage: null, ratioVsJs: null, ringStats: median.ringStats,
    };
  } catch (e) {
    await Promise.all(all.map((w) => w.terminate()));
    throw e;
  }
}

// ── machine and method ──────────────────────────────────────────────────────

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly availableParallelism: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  /** os.loadavg() (1, 5, 15 min) when the benchmark started and ended: other load skews every figure. */
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
}

function machine(loadAverageStart: readonly number[]): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpu = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  return {
    cpu, cores: os.cpus().length, availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version, v8: process.versions.v8, loadAverageStart, loadAverageEnd: os.loadavg(),
  };
}

function method(opts: Options): string[] {
  return [
    `Every producer and consumer is a worker thread; the main thread only starts runs and collects reports.`,
    `Ring capacity ${RING_CAPACITY} bytes (record = 8-byte header + payload, 8-aligned). SPMC producers (1p1c, 1p2c)`,
    `  work as the server's main thread: tryClaim(), write the record in place (as Int32 words up to 128 B, else set()),`,
    `  commit(len, false), publish() every 32 records and before waiting for space. *-push rows and MPSC producers`,
    `  tryPush() one reused buffer per record, published at once. Producers block in waitForSpace() when full;`,
    `  consumers drain() (SPMC: <= 32 records per CAS and per consumed-mark; MPSC: unbounded) zero-copy and block in`,
    `  waitForData() when empty; the last producer close()s the ring.`,
    `postMessage: one producer posts each record on a MessageChannel port (copy: the same Uint8Array, cloned; transfer:`,
    `  a fresh ArrayBuffer per message in the transfer list); the consumer counts in its 'message' handler. Flow control:`,
    `  at most max(1024, capacity / record size) messages in flight, credit returned through a shared word every quarter.`,
    `Consumers read only the first 8 bytes (sequence number, producer id) and verify count, sum, sum of squares and`,
    `  per-producer order: every run proves nothing was lost, duplicated or reordered.`,
    `Time: from the first producer's start (all released by one Atomics.notify) to the last consumer's last record`,
    `  (ring consumers: when they see 'closed'), on process.hrtime. Per case and size: 3 warm-up runs calibrate the record`,
    `  count to ~${opts.targetSeconds} s, then ${opts.repetitions} run(s) with fresh rings in the same threads; median reported.`,
    `MB/s = 10^6 payload bytes per second. Ratio = msgs/s over postMessage (copy) msgs/s for the same payload.`,
    `*-cpp: the same workload and the same JavaScript loops, with NativeSpmcRing / NativeMpscRing handles in every thread:`,
    `  the ring protocol runs in C++ (native/), each call crosses Node-API; "x JS" = msgs/s over the JavaScript row's.`,
    `*-cpp-loop: the same rings with the producer and consumer loops in C++ too (native/src/bench-loops.cpp, one call`,
    `  per run; the same record format and checks): what the algorithm costs without the JavaScript boundary.`,
    opts.nativeNote,
  ];
}

// ── report ──────────────────────────────────────────────────────────────────

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmt1 = (n: number): string => n.toFixed(1);

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => pad(r, widths));
}

interface Report {
  readonly machine: Machine;
  readonly method: string[];
  readonly quick: boolean;
  readonly cases: CaseResult[];
  readonly latency: { readonly ring: RingLatency; readonly postMessage: Latency; readonly payload: number };
  readonly counterCost: CounterCost & { readonly nsPerRecord1p1c64: number | null; readonly percentOf1p1c64: number | null };
  readonly ratios: Record<string, number | null>;
  readonly targets: Record<string, { readonly target: number; readonly measured: number | null; readonly met: boolean }>;
}

function printText(r: Report): void {
  const out: string[] = [];
  const m = r.machine;
  out.push('native-queue: ring vs worker postMessage');
  out.push(`machine: ${m.cpu}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB, ${m.os}`);
  out.push(`runtime: Node ${m.node} (V8 ${m.v8})${r.quick ? ', --quick' : ''}`);
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  // The end figure includes this benchmark's own busy threads; only the start one tells of other load.
  out.push(`load average (1/5/15 min): ${load(m.loadAverageStart)} at start, ${load(m.loadAverageEnd)} at end (incl. this run)` +
    ((m.loadAverageStart[0] ?? 0) > 0.5 ? '  <- other load before the start: figures may be skewed' : ''));
  out.push('', 'method:', ...r.method.map((l) => `  ${l}`), '', 'throughput (median of repetitions):');
  const rows: string[][] = [['case', 'record', 'msgs/s', 'MB/s', 'x postMessage', 'x JS', 'runs msgs/s (min..max)', 'records/run']];
  for (const c of r.cases) {
    const runs = c.runsMsgsPerSec;
    rows.push([
      `${c.case.padEnd(13)} ${c.label}`, `${c.payload} B`, fmtInt(c.msgsPerSec), fmt1(c.mbPerSec),
      c.ratioVsPostMessage === null ? '1 (baseline)' : `${c.ratioVsPostMessage.toFixed(1)}x`,
      c.ratioVsJs === null ? '' : `${c.ratioVsJs.toFixed(2)}x`,
      `${fmtInt(Math.min(...runs))}..${fmtInt(Math.max(...runs))}`, fmtInt(c.records),
    ]);
  }
  out.push(...table(rows).map((l) => `  ${l}`));

  out.push('', 'ring counters (median run; p = producer side, c = consumer side):');
  const srows: string[][] = [['case', 'record', 'p sleeps', 'c sleeps', 'p notifies', 'c notifies', 'full', 'empty polls',
    'p CAS retries', 'c CAS retries', 'spurious']];
  for (const c of r.cases) {
    const s = c.ringStats;
    if (s === null) continue;
    srows.push([c.case, `${c.payload} B`, fmtInt(s.producer.sleeps), fmtInt(s.consumer.sleeps), fmtInt(s.producer.notifies),
      fmtInt(s.consumer.notifies), fmtInt(s.producer.fullEvents), fmtInt(s.consumer.emptyPolls),
      fmtInt(s.producer.casRetries), fmtInt(s.consumer.casRetries),
      fmtInt(s.producer.spuriousWakeups + s.consumer.spuriousWakeups)]);
  }
  out.push(...table(srows).map((l) => `  ${l}`));

  const L = r.latency;
  out.push('', `round trip main -> worker -> main, ${L.payload} B, one in flight (microseconds):`);
  const lrows: string[][] = [['path', 'round trips', 'p50', 'p90', 'p99', 'max', 'mean']];
  const lat = (name: string, l: Latency): string[] => [name, fmtInt(l.roundTrips), fmt1(l.p50Us), fmt1(l.p90Us),
    fmt1(l.p99Us), fmt1(l.maxUs), fmt1(l.meanUs)];
  lrows.push(lat('ring: SpmcRing -> worker (waitForData) -> MpscRing -> main (whenData)', L.ring));
  lrows.push(lat('postMessage: port -> worker -> port', L.postMessage));
  out.push(...table(lrows).map((l) => `  ${l}`));
  const rq = L.ring.requestStats;
  const rp = L.ring.replyStats;
  out.push(`  ring counters: worker sleeps ${fmtInt(rq.consumer.sleeps)}, main notifies ${fmtInt(rq.producer.notifies)}; ` +
    `main waitAsync sleeps ${fmtInt(rp.consumer.sleeps)}, worker notifies ${fmtInt(rp.producer.notifies)}, ` +
    `spurious ${fmtInt(rq.consumer.spuriousWakeups + rp.consumer.spuriousWakeups)}`);

  const cc = r.counterCost;
  out.push('', `always-on counters (isolated loop, ${fmtInt(cc.iterations)} iterations, best of rounds):`);
  out.push(`  empty loop ${cc.emptyNsPerIter.toFixed(3)} ns/iter; + one f64[i] += 1 on a SharedArrayBuffer: ` +
    `${cc.oneIncrementNsPerIter.toFixed(3)} ns; + two increments: ${cc.twoIncrementsNsPerIter.toFixed(3)} ns`);
  out.push(`  => ${cc.nsPerIncrement.toFixed(3)} ns per increment; ${cc.nsPerRecordPerSide.toFixed(3)} ns per record per side ` +
    `(records + bytes), on each of the producer and the consumer thread`);
  if (cc.nsPerRecord1p1c64 !== null && cc.percentOf1p1c64 !== null) {
    out.push(`  1p1c 64 B spends ${cc.nsPerRecord1p1c64.toFixed(1)} ns per record per thread; the counters are ` +
      `<= ${cc.percentOf1p1c64.toFixed(1)}% of it (an upper bound: in the ring the increments overlap other work)`);
  }

  out.push('', 'targets:');
  for (const [name, t] of Object.entries(r.targets)) {
    out.push(`  ${name} >= ${t.target}: measured ${t.measured === null ? 'n/a' : t.measured.toFixed(1)} -> ${t.met ? 'met' : 'MISSED'}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const loadAverageStart = os.loadavg();
  const progress = (line: string): void => { process.stderr.write(line + '\n'); };
  const cases: CaseResult[] = [];
  for (const payload of PAYLOADS) {
    for (const def of opts.cases) {
      const result = await measureCase(def, payload, opts);
      progress(`${def.name} ${payload} B: ${fmtInt(result.msgsPerSec)} msgs/s ` +
        `(runs ${result.runsMsgsPerSec.map(fmtInt).join(', ')}; ${fmtInt(result.records)} records)`);
      cases.push(result);
    }
  }
  const ratios: Record<string, number | null> = {};
  for (const c of cases) {
    const base = cases.find((b) => b.case === BASELINE && b.payload === c.payload);
    if (c.case !== BASELINE && base !== undefined) c.ratioVsPostMessage = c.msgsPerSec / base.msgsPerSec;
    if (c.case !== BASELINE) ratios[`ratio_${c.case.replaceAll('-', '_')}_${c.payload}`] = c.ratioVsPostMessage;
    const twin = CASES.find((d) => d.name === c.case)?.twinOf;
    const js = cases.find((b) => b.case === twin && b.payload === c.payload);
    if (twin !== undefined && js !== undefined) {
      c.ratioVsJs = c.msgsPerSec / js.msgsPerSec;
      ratios[`cpp_vs_js_${twin}_${c.payload}`] = c.ratioVsJs;
    }
  }

  progress('round trips...');
  const latencyPayload = 64;
  const ring = await ringRoundTrip(latencyPayload, opts.roundTrips, opts.roundTripWarmup);
  const postMessage = await portRoundTrip(latencyPayload, opts.roundTrips, opts.roundTripWarmup);

  progress('counter cost...');
  const cost = measureCounterCost(opts.counterIterations, 5);
  const base1p1c = cases.find((c) => c.case === '1p1c' && c.payload === 64);
  const nsPerRecord1p1c64 = base1p1c === undefined ? null : 1e9 / base1p1c.msgsPerSec;
  const counterCost = {
    ...cost, nsPerRecord1p1c64,
    percentOf1p1c64: nsPerRecord1p1c64 === null ? null : (100 * cost.nsPerRecordPerSide) / nsPerRecord1p1c64,
  };

  const targets: Report['targets'] = {};
  for (const [name, target] of Object.entries(TARGETS)) {
    const measured = ratios[name] ?? null;
    targets[name] = { target, measured, met: measured !== null && measured >= target };
  }
  const report: Report = {
    machine: machine(loadAverageStart), method: method(opts), quick: opts.quick, cases,
    latency: { ring, postMessage, payload: latencyPayload }, counterCost, ratios, targets,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify({
      ratio_1p1c_64: ratios.ratio_1p1c_64 ?? null,
      ratio_1p2c_64: ratios.ratio_1p2c_64 ?? null,
      ...ratios,
      ...report,
    }, null, 2) + '\n');
  } else {
    printText(report);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`queue-bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
