/**
 * `npm run reliability`: every full reliability script, one after the
 * other, each in its own process; then one table of what each proves and
 * its figures (profiling/out/reliability/summary.md, also printed).
 *
 *   npm run reliability -- [--soak-minutes 10] [--only crash-durability,soak]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OUT_DIR, type ScenarioResult, machine } from './lib/report.js';

interface Script {
  readonly name: string;
  readonly guarantee: string;
  readonly args: readonly string[];
}

function scripts(soakMinutes: number): Script[] {
  return [
    { name: 'crash-durability', guarantee: 'SIGKILL under load: acknowledged ⊆ logged (written, fsync), logged ⊆ attempted, no duplicate; processed: loss measured', args: ['--trials', '20'] },
    { name: 'graceful-drain', guarantee: 'SIGTERM under load: every accepted request answered and logged, exit 0 within the deadline, /healthz 503', args: ['--trials', '30'] },
    { name: 'hostile-input', guarantee: 'hostile clients: server alive, RSS bounded, well-behaved client right and p99 ≤ 2x its baseline', args: ['--slow-senders', '1000', '--seconds', '10'] },
    { name: 'decoder-fuzz', guarantee: 'decoders equal a reference model on arbitrary streams and chunkings, no crash', args: ['--runs', '100000'] },
    { name: 'worker-faults', guarantee: 'worker deaths under load: each answered ERR, no hang, others right, once, logged once', args: ['--deaths', '100'] },
    { name: 'writer-faults', guarantee: 'full/failing disk: ERR log unavailable, no unlogged acknowledgement, stops accepting, exit 3', args: [] },
    { name: 'log-injection', guarantee: 'hostile messages on every listener: one exact record per request in both log formats', args: ['--messages', '20000'] },
    { name: 'soak', guarantee: `fixed rate for ${soakMinutes} min: RSS, heap, fds, loop delay sampled every second, drift reported`, args: ['--minutes', String(soakMinutes)] },
  ];
}

function main(): void {
  const { values } = parseArgs({ options: { 'soak-minutes': { type: 'string', default: '10' }, only: { type: 'string' } } });
  const only = values.only?.split(',');
  const list = scripts(Number(values['soak-minutes'])).filter((s) => only === undefined || only.includes(s.name));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rows: string[] = [];
  let failed = 0;
  process.stdout.write(`reliability: ${machine()}\n`);
  for (const s of list) {
    process.stdout.write(`\n===== ${s.name} ${s.args.join(' ')}\n`);
    const file = path.join(OUT_DIR, `${s.name}.json`);
    fs.rmSync(file, { force: true }); // no figures from an earlier run
    const started = performance.now();
    const run = spawnSync(process.execPath, [path.join(here, `${s.name}.js`), ...s.args], { stdio: 'inherit' });
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);
    if (run.status !== 0) failed++;
    const saved = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as { result: ScenarioResult | ScenarioResult[] } : null;
    const results = saved === null ? [] : Array.isArray(saved.result) ? saved.result : [saved.result];
    const figures = results.map((r) => `${results.length > 1 ? `${r.scenario}: ` : ''}${r.summary}${r.violations.length > 0 ? ` — **${r.violations.length} violations**` : ''}`).join('<br>');
    rows.push(`| ${s.name} | ${s.guarantee} | \`node dist/test/reliability/${s.name}.js ${s.args.join(' ')}\` | ${run.status === 0 ? 'held' : `**failed (exit ${run.status})**`} | ${figures} (${minutes} min) |`);
  }
  const table = ['| scenario | guarantee | command | result | figures |', '|---|---|---|---|---|', ...rows].join('\n');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'summary.md'), `${new Date().toISOString()} — ${machine()}\n\n${table}\n`);
  process.stdout.write(`\n${table}\n\n${failed === 0 ? 'every guarantee held' : `${failed} scripts found violations`}\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
