/**
 * `npm run experiment -- <name>|all [--quick] [--reps N] [--out DIR]`
 *
 * Runs the experiments of issue #9 one after the other, each on its own
 * threads or server processes, and for each prints the machine, the method
 * and its table, then writes to `<out>/<name>/` (default
 * profiling/out/experiments/<name>/, git-ignored): `result.json` (every
 * repetition), one SVG per chart and `report.html` (method, tables, charts).
 * A full run (not --quick, and at least 3 repetitions) also copies the
 * charts to native-queue/docs/charts/, where the study guide embeds them; a
 * quick or single-repetition run never touches them, so CI cannot replace
 * the documented figures.
 *
 * --quick: fewer and shorter trials, about 20 s an experiment, to check that
 * everything runs; its figures are not for reading.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSpread } from '../lib/bench-stats.js';
import { escapeHtml, writeHtmlPage } from '../lib/charts.js';
import { describeMachine, machineLine } from '../lib/machine.js';
import { atomicsCosts } from './atomics-costs.js';
import { cursorPadding } from './cursor-padding.js';
import { cursorWidth } from './cursor-width.js';
import type { Experiment, ExperimentReport, RunOptions } from './experiment-kit.js';
import { notifyPolicy } from './notify-policy.js';
import { ringCapacity } from './ring-capacity.js';
import { spinBudget } from './spin-budget.js';
import { workerCount } from './worker-count.js';

/** In the order `all` runs them: issue #9's (a) to (f), then the Atomics costs the study guide quotes. */
export const EXPERIMENTS: readonly Experiment[] = [
  workerCount, ringCapacity, spinBudget, notifyPolicy, cursorPadding, cursorWidth, atomicsCosts,
];

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../..');
const DEFAULT_OUT = path.join(ROOT, 'profiling/out/experiments');
const DOC_CHARTS = path.join(ROOT, 'native-queue/docs/charts');

function usage(message: string): never {
  process.stderr.write(`experiment: ${message}\n`
    + `usage: npm run experiment -- <${EXPERIMENTS.map((e) => e.name).join('|')}|all> [--quick] [--reps N] [--out DIR]\n`);
  process.exit(64);
}

function parse(): { names: string[]; options: RunOptions; out: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: { quick: { type: 'boolean', default: false }, reps: { type: 'string' }, out: { type: 'string' } },
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) usage('name one experiment, or all');
  const name = positionals[0]!;
  const known = EXPERIMENTS.map((e) => e.name);
  if (name !== 'all' && !known.includes(name)) usage(`unknown experiment "${name}"`);
  const reps = values.reps === undefined ? null : Number(values.reps);
  if (reps !== null && (!Number.isInteger(reps) || reps < 1)) usage(`--reps must be a positive whole number, got "${values.reps}"`);
  return {
    names: name === 'all' ? known : [name],
    options: { quick: values.quick, reps },
    out: path.resolve(values.out ?? DEFAULT_OUT),
  };
}

function printReport(e: Experiment, r: ExperimentReport, seconds: number, quick: boolean): void {
  const lines = [`\n== ${e.name}: ${e.title}${quick ? ' (quick: for checking it runs, not for reading)' : ''}`, r.method];
  for (const t of r.tables) lines.push('', t.caption, t.text);
  if (r.keyFigures.length > 0) lines.push('', ...r.keyFigures.map((k) => `- ${k}`));
  if (r.runQueueWait !== null) {
    lines.push(`- contention: a measured thread waited for a CPU ${formatSpread(r.runQueueWait, (n) => `${Math.round(n * 100)}%`)} of its trial (median (min–max) over trials; 0% = the machine was ours)`);
  }
  lines.push(`- took ${seconds.toFixed(1)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function writeReport(e: Experiment, r: ExperimentReport, dir: string, meta: Record<string, unknown>, copyCharts: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'result.json'), `${JSON.stringify({ experiment: e.name, ...meta, keyFigures: r.keyFigures, raw: r.raw }, null, 1)}\n`);
  for (const c of r.charts) {
    fs.writeFileSync(path.join(dir, `${c.file}.svg`), c.svg);
    if (copyCharts) {
      fs.mkdirSync(DOC_CHARTS, { recursive: true });
      fs.writeFileSync(path.join(DOC_CHARTS, `${c.file}.svg`), c.svg);
    }
  }
  const intro = `<p>${escapeHtml(String(meta['machine']))}</p><p>${escapeHtml(r.method)}</p>`;
  const html = writeHtmlPage(path.join(dir, 'report.html'), `${e.name}: ${e.title}`, [
    ...r.tables.map((t) => ({ title: t.caption, html: `<pre>${escapeHtml(t.text)}</pre>` })),
    { title: 'Key figures', html: `<ul>${r.keyFigures.map((k) => `<li>${escapeHtml(k)}</li>`).join('')}</ul>` },
    ...r.charts.map((c) => ({ title: c.title, svg: c.svg })),
  ], intro);
  process.stdout.write(`- wrote ${path.relative(process.cwd(), dir)}/ (result.json, ${r.charts.map((c) => `${c.file}.svg`).join(', ')}, ${path.basename(html)})`
    + `${copyCharts ? `; charts copied to ${path.relative(process.cwd(), DOC_CHARTS)}/` : ''}\n`);
}

async function main(): Promise<void> {
  const { names, options, out } = parse();
  const started = performance.now();
  const timings: string[] = [];
  for (const name of names) {
    const e = EXPERIMENTS.find((x) => x.name === name)!;
    const machine = machineLine(describeMachine(null, null));
    process.stdout.write(`\n>> ${e.name}${options.quick ? ' --quick' : ''}: ${machine}\n`);
    const t0 = performance.now();
    const report = await e.run(options);
    const seconds = (performance.now() - t0) / 1000;
    printReport(e, report, seconds, options.quick);
    writeReport(e, report, path.join(out, e.name), {
      machine, quick: options.quick, reps: options.reps, seconds, finishedAt: new Date().toISOString(), loadAverage: os.loadavg(),
    }, !options.quick && (options.reps === null || options.reps >= 3));
    timings.push(`${e.name} ${seconds.toFixed(1)} s`);
  }
  if (names.length > 1) {
    process.stdout.write(`\nall done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${timings.join(', ')}\n`);
  }
}

await main();
