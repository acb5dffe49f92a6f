/**
 * The control for hostile-input's connection flood: how much of what the
 * flood does to the well-behaved client's p99 is the server's handling of
 * it, and how much is the attacker's own CPU on the two cores it shares with
 * the server and the measuring client.
 *
 * The same flood as hostile-input's (200 connections at once, twice a
 * second) is aimed either at ringpool's line port (past --max-connections,
 * as in hostile-input) or at a port nothing listens on (the kernel refuses
 * every connection; no server work at all), with the hostile process
 * scheduled at each of hostile-input's attacker priorities. Each, and the
 * well-behaved client alone, in `--rounds` rounds; medians of the p99s.
 *
 *   node dist/test/reliability/flood-control.js [--rounds 5] [--seconds 8] [--flood-attacker c|node]
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spread, textTable } from '../../profiling/lib/bench-stats.js';
import { oneOf } from '../../profiling/load-client.js';
import { type HostileOptions } from './hostile-clients.js';
import { ATTACKER_PRIORITIES, type AttackerPriority, FLOOD_ATTACKERS, type GoodWindow, attackPhase, floodAttackerBinary, measureGood } from './hostile-input.js';
import { isMain, machine, tempDir } from './lib/report.js';
import { startRingpool } from './lib/ringpool.js';

const RATE = 400;
const WARMUP_S = 2;
/** hostile-input's --max-connections at its default 1000 slow senders. */
const MAX_CONNECTIONS = 1210;

/** A port on 127.0.0.1 that was free a moment ago and that nothing listens on now. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

interface Setting {
  readonly name: string;
  /** null: the well-behaved client alone. */
  readonly target: 'ringpool' | 'closed port' | null;
  readonly priority: AttackerPriority;
}

const SETTINGS: readonly Setting[] = [
  { name: 'alone (baseline)', target: null, priority: 'equal' },
  ...ATTACKER_PRIORITIES.flatMap((priority) => (['ringpool', 'closed port'] as const).map((target): Setting => ({
    name: `flood at ${target === 'ringpool' ? 'ringpool' : 'a closed port'}, ${priority}`, target, priority,
  }))),
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '8' }, 'flood-attacker': { type: 'string', default: 'c' } },
  });
  const attacker = oneOf('flood-attacker', values['flood-attacker'], FLOOD_ATTACKERS)!; // it has a default
  const attackerPath = await floodAttackerBinary(attacker);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!(Number.isInteger(rounds) && rounds >= 1) || !(seconds > 0)) throw new Error('--rounds must be a positive integer and --seconds positive');
  process.stdout.write(`flood control: ${machine()}; the flood run by ${attacker === 'c' ? 'flood-attacker.c' : 'the hostile clients\' Node process'}\n`);
  const dir = tempDir('flood-control');
  const server = await startRingpool({ logFile: path.join(dir, 'flood.log'), http: true, wrapper: [], args: ['--max-connections', String(MAX_CONNECTIONS)] });
  try {
    const nowhere = await closedPort();
    const windows = SETTINGS.map((): GoodWindow[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [k, setting] of SETTINGS.entries()) {
        let window: GoodWindow;
        if (setting.target === null) {
          window = await measureGood(server, seconds, RATE, WARMUP_S);
        } else {
          const options: HostileOptions = {
            attacks: ['flood'], ports: { ...server.ports, line: setting.target === 'ringpool' ? server.ports['line']! : nowhere },
            maxFrame: 65536, slowSenders: 0, floodSize: 200, truncated: 0, halfOpenPerSecond: 0, neverReaders: 0, floodAttacker: attackerPath,
          };
          const phase = await attackPhase(server, [], setting.priority, options, seconds, RATE, WARMUP_S);
          if (phase.good.wrong > 0 || phase.good.errors > 0) throw new Error(`${setting.name}: ${phase.good.wrong} wrong answers, ${phase.good.errors} errors`);
          window = phase;
        }
        windows[k]!.push(window);
        const { good } = window;
        process.stdout.write(`round ${round + 1}: ${setting.name}: p99 ${good.latencyUs.p99} µs (from write ${good.latencyFromWriteUs.p99} µs), `
          + `server main thread ${window.serverMainCpuPct.toFixed(1)}% of a core, VM steal ${window.stealPct.toFixed(1)}%\n`);
      }
    }
    const medians = windows.map((ws) => ({
      p99: spread(ws.map((w) => w.good.latencyUs.p99)).median,
      fromWrite: spread(ws.map((w) => w.good.latencyFromWriteUs.p99)).median,
      mainCpu: spread(ws.map((w) => w.serverMainCpuPct)).median,
    }));
    const base = medians[0]!;
    process.stdout.write(`\n${textTable(['setting', 'p99 µs (median)', 'p99 / alone', 'p99 of each round, µs', 'from write: p99 µs', 'p99 / alone',
      'server main thread % of a core (median)', 'VM steal % of each round'],
      SETTINGS.map((s, k) => {
        const m = medians[k]!;
        return [s.name, m.p99, (m.p99 / base.p99).toFixed(2), windows[k]!.map((w) => w.good.latencyUs.p99).join(' '), m.fromWrite,
          (m.fromWrite / base.fromWrite).toFixed(2), m.mainCpu.toFixed(1), windows[k]!.map((w) => w.stealPct.toFixed(1)).join(' ')];
      }))}\n`
      + `${rounds} round(s) of ${seconds} s at ${RATE} requests/s; the flood is 200 connections at once, twice a second, measured from its first `
      + `connection turned away (at ringpool, once it has filled --max-connections ${MAX_CONNECTIONS}); ringpool runs with its default refusal `
      + `budget. The p99 is from each request's intended send time; "from write" from its actual write, without the client's own lateness in `
      + `sending. The server's main thread is its event loop, over the measured window.\n`);
  } finally {
    await server.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
