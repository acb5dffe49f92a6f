/**
 * Soak: a fixed request rate for N minutes; every second the server's RSS
 * and open file descriptors (from /proc) and its heap and event-loop delay
 * (from GET /metrics: nodejs_heap_size_used_bytes, nodejs_eventloop_lag_*,
 * reset at each scrape, so each sample covers the second before it; the
 * monitor's own sampling period, which every value includes, is taken off) are
 * recorded, charted (profiling/lib/charts.ts, one HTML page) and reduced to
 * drift figures: the slope of RSS and heap over the last half, descriptors
 * at the end against the start, loop delay in the last half against the
 * first.
 *
 *   npm run soak -- [--minutes 10 | --seconds 30] [--rate 2000] [--max-rss-slope 2]
 *
 * The load is profiling/load-client.ts in fixed-rate mode (latency from each
 * request's intended send time), every answer checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lineChart, writeHtmlPage } from '../../profiling/lib/charts.js';
import { type LoadResult, runLoad } from '../../profiling/load-client.js';
import { spread } from '../../profiling/lib/bench-stats.js';
import { rssBytes } from '../../profiling/server-process.js';
import { loopDelayMs, scrapeMetrics } from './lib/http-get.js';
import { fdCount } from './lib/proc.js';
import { OUT_DIR, type ScenarioResult, finish, isMain, machine, saveResult, tempDir } from './lib/report.js';
import { startRingpool, tail } from './lib/ringpool.js';

export interface SoakOptions {
  readonly seconds: number;
  readonly rate: number;
  /** RSS growing faster than this over the last half (MiB per minute) is a violation; absent: reported only. */
  readonly maxRssSlopeMiBPerMin?: number;
  /** Where the HTML report goes (default profiling/out/reliability/soak.html). */
  readonly html?: string;
}

export interface SoakSample {
  readonly t: number;
  readonly rssMiB: number;
  readonly fds: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Event-loop delay beyond the monitor's sampling period, p99 and max of the second. */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** Answers per second since the previous sample (ringpool_requests_total). */
  readonly rps: number;
}

export interface SoakResult extends ScenarioResult {
  readonly load: LoadResult;
  readonly samples: readonly SoakSample[];
  readonly scrapeFailures: number;
  readonly rssSlopeMiBPerMin: number;
  readonly heapSlopeMiBPerMin: number;
  readonly fdsStart: number;
  readonly fdsEnd: number;
  readonly loopP99FirstHalfMs: number;
  readonly loopP99LastHalfMs: number;
  readonly html: string;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The project's median (profiling/lib/bench-stats.ts); 0 for no values, as the report prints it. */
function median(values: readonly number[]): number {
  return values.length === 0 ? 0 : spread(values).median;
}

const MIB = 2 ** 20;

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const dir = tempDir('soak');
  const server = await startRingpool({ logFile: path.join(dir, 'soak.log'), http: true });
  const violations: string[] = [];
  try {
    const samples: SoakSample[] = [];
    let scrapeFailures = 0;
    let lastRequests = 0;
    let sampling = Promise.resolve();
    const started = performance.now();
    const sample = async (): Promise<void> => {
      const t = (performance.now() - started) / 1000;
      try {
        const [rss, fds, m] = [rssBytes(server.pid), fdCount(server.pid), await scrapeMetrics(server.ports['http']!)];
        const requests = m.get('ringpool_requests_total') ?? 0;
        const previous = samples.at(-1);
        samples.push({
          t, rssMiB: rss / MIB, fds, heapUsedMiB: (m.get('nodejs_heap_size_used_bytes') ?? NaN) / MIB,
          heapTotalMiB: (m.get('nodejs_heap_size_total_bytes') ?? NaN) / MIB,
          loopP99Ms: loopDelayMs(m, 'p99'),
          loopMaxMs: loopDelayMs(m, 'max'),
          rps: previous === undefined ? 0 : (requests - lastRequests) / (t - previous.t),
        });
        lastRequests = requests;
      } catch {
        scrapeFailures++;
      }
    };
    // One sample a second, one at a time: a slow scrape delays the next one
    // rather than piling up. (Two scrapes a few ms apart would find the
    // loop-delay histogram, reset by the first, still empty.)
    const timer = setInterval(() => { sampling = sampling.then(sample); }, 1000);
    const load = await runLoad({ port: server.ports['line']!, protocol: 'line', connections: 4, depth: 16, rate: o.rate, durationS: o.seconds, timeoutMs: 5000 });
    clearInterval(timer);
    await sampling;
    const exit = await server.stop('SIGTERM');

    const lastHalf = samples.filter((s) => s.t >= o.seconds / 2 && s.t <= o.seconds);
    const firstHalf = samples.filter((s) => s.t > 1 && s.t < o.seconds / 2);
    const rssSlopeMiBPerMin = slope(lastHalf.map((s) => s.t), lastHalf.map((s) => s.rssMiB)) * 60;
    const heapSlopeMiBPerMin = slope(lastHalf.map((s) => s.t), lastHalf.map((s) => s.heapUsedMiB)) * 60;
    const fdsStart = samples[0]?.fds ?? 0;
    const fdsEnd = samples.at(-1)?.fds ?? 0;
    const loopP99FirstHalfMs = median(firstHalf.map((s) => s.loopP99Ms));
    const loopP99LastHalfMs = median(lastHalf.map((s) => s.loopP99Ms));

    const v = (what: string): void => void violations.push(what);
    if (exit.code !== 0) v(`exit ${exit.signal ?? exit.code} after SIGTERM\n${tail(server)}`);
    if (load.wrong > 0 || load.errors > 0) v(`${load.wrong} wrong answers, ${load.errors} errors ${JSON.stringify([...load.wrongSamples, ...load.errorSamples].slice(0, 3))}`);
    if (load.rps < 0.95 * o.rate) v(`the server kept up with ${load.rps.toFixed(0)} of ${o.rate} requests per second`);
    if (scrapeFailures > 0) v(`${scrapeFailures} samples failed (GET /metrics)`);
    if (samples.length < o.seconds - 2) v(`${samples.length} samples in ${o.seconds} s: the sampler fell behind`);
    if (fdsEnd > fdsStart + 4) v(`file descriptors grew from ${fdsStart} to ${fdsEnd}`);
    if (samples.some((s) => Number.isNaN(s.heapUsedMiB) || Number.isNaN(s.loopP99Ms))) v('/metrics lacks nodejs_heap_size_used_bytes or nodejs_eventloop_lag_p99_seconds');
    if (o.maxRssSlopeMiBPerMin !== undefined && rssSlopeMiBPerMin > o.maxRssSlopeMiBPerMin) {
      v(`RSS grew ${rssSlopeMiBPerMin.toFixed(2)} MiB/min over the last half (limit ${o.maxRssSlopeMiBPerMin})`);
    }

    const rows = (metric: string, pick: (s: SoakSample) => number): { t: number; value: number; metric: string }[] =>
      samples.map((s) => ({ t: Math.round(s.t * 10) / 10, value: Math.round(pick(s) * 100) / 100, metric }));
    const summary = `${o.seconds} s at ${o.rate} req/s (${load.requests} answered, ${load.wrong} wrong, ${load.errors} errors, p99 `
      + `${(load.latencyUs.p99 / 1000).toFixed(2)} ms); RSS ${samples[0]?.rssMiB.toFixed(1)} → ${samples.at(-1)?.rssMiB.toFixed(1)} MiB, `
      + `last-half slope ${rssSlopeMiBPerMin.toFixed(2)} MiB/min; heap used slope ${heapSlopeMiBPerMin.toFixed(2)} MiB/min; fds ${fdsStart} → ${fdsEnd}; `
      + `loop delay p99 ${loopP99FirstHalfMs.toFixed(2)} ms (first half) → ${loopP99LastHalfMs.toFixed(2)} ms (last half)`;
    const html = writeHtmlPage(o.html ?? path.join(OUT_DIR, 'soak.html'), `ringpool soak: ${o.seconds} s at ${o.rate} req/s`, [
      { title: 'Memory', svg: await lineChart({ title: 'RSS (all threads, /proc) and main-thread heap (/metrics)', x: 't', y: 'value', series: 'metric', xTitle: 'seconds', yTitle: 'MiB',
        rows: [...rows('RSS', (s) => s.rssMiB), ...rows('heap total', (s) => s.heapTotalMiB), ...rows('heap used', (s) => s.heapUsedMiB)] }) },
      { title: 'File descriptors', svg: await lineChart({ title: 'open file descriptors (/proc/<pid>/fd)', x: 't', y: 'value', xTitle: 'seconds', yTitle: 'fds', rows: rows('fds', (s) => s.fds) }) },
      { title: 'Event-loop delay', svg: await lineChart({ title: 'main-thread event-loop delay beyond the 50 ms sampling period, per second (/metrics)', x: 't', y: 'value', series: 'metric', xTitle: 'seconds', yTitle: 'ms',
        rows: [...rows('p99', (s) => s.loopP99Ms), ...rows('max', (s) => s.loopMaxMs)] }) },
      { title: 'Throughput', svg: await lineChart({ title: 'answers per second (ringpool_requests_total)', x: 't', y: 'value', xTitle: 'seconds', yTitle: 'req/s', rows: rows('req/s', (s) => s.rps) }) },
    ], `<p>${machine()}</p><p>${summary}</p><p>${violations.length === 0 ? '<span class="good">no violation</span>' : `<span class="bad">${violations.length} violations</span>`}</p>`);
    return {
      scenario: 'soak', violations, summary, load, samples, scrapeFailures, rssSlopeMiBPerMin, heapSlopeMiBPerMin,
      fdsStart, fdsEnd, loopP99FirstHalfMs, loopP99LastHalfMs, html,
    };
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' }, seconds: { type: 'string' }, rate: { type: 'string', default: '2000' },
      'max-rss-slope': { type: 'string', default: '2' },
    },
  });
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? '10') * 60;
  if (!(seconds >= 4)) throw new Error(`soak: --minutes or --seconds must give at least 4 seconds, got ${seconds}`);
  process.stdout.write(`soak: ${machine()}\n`);
  const r = await runSoak({ seconds, rate: Number(values.rate), maxRssSlopeMiBPerMin: Number(values['max-rss-slope']) });
  process.stdout.write(`charts: ${r.html}\n`);
  finish(r);
  saveResult('soak', { ...r, samples: r.samples });
}

if (isMain(import.meta.url)) await main();
