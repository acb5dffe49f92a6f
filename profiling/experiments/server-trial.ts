/**
 * One trial against the real server, for the worker-count and ring-capacity
 * experiments: a fresh ringpool process (the line listener and the HTTP
 * front on ephemeral ports, its log in a new temporary folder), one or more
 * load phases from profiling/load-client.ts (closed loop, the 64 messages
 * of the original JMeter plan, every answer checked byte for byte), the
 * server's CPU over each phase, its ring counters from GET /metrics after
 * each phase, then SIGTERM and a check that the log holds every answer.
 *
 * A trial that gets a wrong answer, an error, a non-zero exit or a log that
 * misses answers throws: its figures would describe a broken server.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../load-client.js';
import { type Exit, cpuSecondsOf, startServer } from '../server-process.js';

export interface ServerSetup {
  readonly workers: number;
  /** --job-work: extra CPU per message (0: the bare job). */
  readonly jobWork: number;
  /** --job-ring-bytes (a power of two). */
  readonly jobRingBytes: number;
}

export interface LoadPhase {
  readonly name: string;
  readonly connections: number;
  /** Requests in flight per connection (pipelined). */
  readonly depth: number;
  readonly warmupS: number;
  readonly durationS: number;
}

export interface PhaseResult {
  readonly phase: string;
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Server CPU (all threads) per request, microseconds. */
  readonly cpuUsPerRequest: number;
  /** Job ring, over the phase (warm-up included), per 1000 requests answered. */
  readonly jobRingFullPerK: number;
  readonly workerSleepsPerK: number;
  readonly requests: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, '../../src/main.js');
/** The load client's messages are at most 1024 bytes; small enough for a 4 KiB job ring (max-frame <= capacity / 2 - 128). */
const MAX_FRAME = 1024;

function get(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${urlPath}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** The job ring's counters that the experiments report, from the Prometheus text. */
async function jobRingCounters(port: number): Promise<{ full: number; sleeps: number; answered: number }> {
  const text = await get(port, '/metrics');
  const value = (re: RegExp): number => {
    const m = re.exec(text);
    if (m === null) throw new Error(`/metrics has no line matching ${re}`);
    return Number(m[1]);
  };
  let answered = 0;
  for (const m of text.matchAll(/^ringpool_requests_total\{[^}]*\} (\S+)$/gmu)) answered += Number(m[1]);
  return {
    full: value(/^ringpool_ring_full_events_total\{ring="job",side="producer"\} (\S+)$/mu),
    sleeps: value(/^ringpool_ring_sleeps_total\{ring="job",side="consumer"\} (\S+)$/mu),
    answered,
  };
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

export async function serverTrial(setup: ServerSetup, phases: readonly LoadPhase[]): Promise<PhaseResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringpool-experiment-'));
  const logFile = path.join(dir, 'log.txt');
  const label = `ringpool --workers ${setup.workers} --job-work ${setup.jobWork} --job-ring-bytes ${setup.jobRingBytes}`;
  try {
    const server = await startServer([process.execPath, MAIN, '--seed-port', 'off', '--line-port', '0', '--binary-port', 'off',
      '--http-port', '0', '--workers', String(setup.workers), '--job', 'prime-count', '--job-work', String(setup.jobWork),
      '--job-ring-bytes', String(setup.jobRingBytes), '--max-frame', String(MAX_FRAME), '--log-file', logFile, '--log-format', 'seed']);
    const results: PhaseResult[] = [];
    let answered = 0;
    let exit: Exit;
    try {
      const line = server.ports['line'];
      const httpPort = server.ports['http'];
      if (line === undefined || httpPort === undefined) throw new Error(`${label}: ready line names no line or http port: ${JSON.stringify(server.ports)}`);
      for (const p of phases) {
        const before = await jobRingCounters(httpPort);
        let cpuStart = 0;
        const load = await runLoad({
          port: line, protocol: 'line', connections: p.connections, depth: p.depth, warmupS: p.warmupS, durationS: p.durationS,
          messageSet: 'trivial', onMeasureStart: () => { cpuStart = cpuSecondsOf(server.pid); },
        });
        const cpuS = cpuSecondsOf(server.pid) - cpuStart;
        const after = await jobRingCounters(httpPort);
        answered += load.totalAnswered;
        if (load.wrong > 0 || load.errors > 0) {
          // The server's own view, for whoever diagnoses it: what sits in which ring.
          const state = (await get(httpPort, '/metrics')).split('\n')
            .filter((l) => /^ringpool_(job_ring_queued_records|ring_records_total|ring_sleeps_total|ring_notifies_total|log_records_written_total)/u.test(l))
            .join('; ');
          throw new Error(`${label}, ${p.name}: ${load.wrong} wrong answers, ${load.errors} errors: ${JSON.stringify(load.wrongSamples)} `
            + `${load.errorSamples.join('; ')}; server metrics after the phase: ${state}`);
        }
        const perK = (n: number): number => (n * 1000) / Math.max(1, after.answered - before.answered);
        results.push({
          phase: p.name, rps: load.rps, p50Us: load.latencyUs.p50, p99Us: load.latencyUs.p99,
          cpuUsPerRequest: (cpuS * 1e6) / load.requests,
          jobRingFullPerK: perK(after.full - before.full), workerSleepsPerK: perK(after.sleeps - before.sleeps),
          requests: load.requests,
        });
      }
    } finally {
      // Stopped whatever happened; a failed phase's error wins over the exit status.
      exit = await server.stop();
    }
    if (exit.code !== 0) throw new Error(`${label}: exited with ${exit.code ?? exit.signal}: ${server.stderrLines.slice(-3).join(' / ')}`);
    const records = countLines(fs.readFileSync(logFile));
    if (records !== answered) throw new Error(`${label}: ${records} log records for ${answered} answers`);
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * serverTrial, tried again once if it fails: a failure (an unanswered
 * request, a wrong answer, a missing log record) is itself a finding, so it
 * is kept in `failures` and reported with the experiment instead of losing
 * the figures of every other trial. A second failure in a row throws.
 */
export async function serverTrialRetried(setup: ServerSetup, phases: readonly LoadPhase[], failures: string[]): Promise<PhaseResult[]> {
  try {
    return await serverTrial(setup, phases);
  } catch (err) {
    const message = `${new Date().toISOString()} ${(err as Error).message}`;
    failures.push(message);
    process.stderr.write(`experiment: trial failed, trying it once more: ${message}\n`);
    return await serverTrial(setup, phases);
  }
}
