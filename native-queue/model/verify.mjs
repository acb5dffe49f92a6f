#!/usr/bin/env node
// @ts-check
/**
 * Model-checks the rings' Promela models with SPIN (native-queue/model/README.md).
 *
 *   node native-queue/model/verify.mjs [--only=TEXT] [--keep] [--jobs=N]
 *
 * Every run is `spin -a` (generates the verifier pan.c), `gcc` (builds it) and
 * `./pan` (an exhaustive depth-first search of every interleaving), in a
 * fresh temporary folder. Three kinds of run, and what each must give:
 *
 *   pass     a model of the rings as implemented: no assertion fails, no
 *            invalid end state, and the search is complete (no "search depth
 *            too small", no truncation, no running out of memory).
 *   fail     a broken twin (-DBUG_...): the checker must find a
 *            counterexample, and for the reason the twin was written for.
 *   reached  a reachability witness (-DWITNESS=...): the assertion that
 *            fails as soon as the scenario happens must fail, which proves
 *            the scenario (wrap, padding, sleep, ...) is part of the search,
 *            so a "pass" above is not vacuous.
 *
 * Prints a table and exits non-zero when any run does not give what it must.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @typedef {'pass' | 'fail' | 'reached'} Expect
 * @typedef {{
 *   model: 'spmc' | 'mpsc',
 *   variant: string,
 *   defines: string[],
 *   expect: Expect,
 *   reason?: RegExp,
 *   heavy?: boolean,
 * }} Job
 * @typedef {{
 *   job: Job, got: string, ok: boolean, states: string, depth: string,
 *   seconds: number, detail: string,
 * }} Outcome
 */

// What a counterexample must show, read from the assertion pan reports.
// STUCK: the end-state Monitor (no thread can move any more, yet a producer
// has not finished, a committed record was not delivered, or a consumer did
// not return 'closed'): a lost wake-up or a deadlock. RACE: the ghost race
// detector (a thread wrote memory another still owns). CONTENT: a consumer
// read a torn, stale, out-of-order or duplicated record.
const STUCK = /producersDone|producerDone|delivered==committed|consumersExited|consumerExited/;
const RACE = /!\(hold\[/;
const CONTENT = /==length|length>=1|expect\[p\]|nextTake|!\(got\[/;

// The configurations. SPMC: 1 producer x 2 consumers, 3 records; MPSC:
// 2 producers x 1 consumer, 2 records each. Capacity 4 units (32 bytes),
// cursors starting one unit below the 2^32 wrap (common.pml).
/** @type {Job[]} */
const JOBS = [
  // ── the rings as implemented ──
  { model: 'spmc', variant: 'as implemented: 3 records, close or not', defines: [], expect: 'pass', heavy: true },
  { model: 'spmc', variant: 'batches of 2 records per CAS and consumed-mark (the benchmark\'s drain)', defines: ['-DBATCH=2'], expect: 'pass', heavy: true },
  { model: 'mpsc', variant: 'as implemented: 2+2 records, close after producers (server)', defines: ['-DCLOSE_AFTER_PRODUCERS'], expect: 'pass', heavy: true },
  { model: 'mpsc', variant: 'close at any moment, 1+1 records, as implemented', defines: ['-DK=1'], expect: 'pass', heavy: true },

  // ── broken twins: each must be rejected, for its own reason ──
  ...twins('spmc', [], [['NOTIFY_BEFORE_PUBLISH', STUCK], ['NO_ANNOUNCE', STUCK], ['NO_RECHECK', STUCK],
    ['SAMPLE_AFTER_ANNOUNCE', STUCK], ['RETIRE_KEEPS_PENDING', STUCK], ['NO_WAKE_CHAIN', STUCK],
    // Born-consumed padding lets the producer reuse the padding before the
    // batch's consumed-mark lands in its header: found either as the write
    // into held units or, when the consumer had read the padding already, as
    // the record that mark then destroys.
    ['MARK_BEFORE_READ', CONTENT], ['PADDING_BORN_CONSUMED', new RegExp(`${RACE.source}|${STUCK.source}`)]]),
  ...twins('mpsc', ['-DCLOSE_AFTER_PRODUCERS'], [['NOTIFY_BEFORE_COMMIT', STUCK], ['NO_WAITER_FLAG', STUCK],
    ['NO_RECHECK', STUCK], ['SAMPLE_AFTER_ANNOUNCE', STUCK], ['SIZE_BEFORE_PAYLOAD', CONTENT],
    ['READ_BEFORE_ZERO', RACE], ['NO_BATCH_CAP', CONTENT]]),
  // the first version of tryClaim: found by this model, fixed in mpsc-ring.ts
  ...twins('mpsc', ['-DK=1'], [['CLOSE_RACE_NO_WAKE', /consumerExited/]]),

  // ── reachability witnesses: the scenarios the passes above go through ──
  // (a mask of several bits: all those scenarios in one and the same run)
  witness('spmc', [], 1 | 2 | 4 | 16, 'padding, 2^32 wrap, publish wakes a sleeper, close wakes one'),
  witness('spmc', [], 8, 'producer sleeps on a full ring, a consumer wakes it'),
  witness('spmc', [], 32, 'one publish for 2 records'),
  witness('spmc', ['-DBATCH=2'], 256, 'one CAS takes 2 records, one consumed-mark frees both'),
  witness('mpsc', ['-DCLOSE_AFTER_PRODUCERS'], 127, 'padding, wrap, sleep/wake, full, close, batch, 2 open claims'),
  witness('mpsc', ['-DK=1'], 128, 'a claim races close(): padding'),
];

/**
 * @param {'spmc' | 'mpsc'} model
 * @param {string[]} defines
 * @param {[string, RegExp][]} list
 * @returns {Job[]}
 */
function twins(model, defines, list) {
  return list.map(([bug, reason]) => ({
    model, variant: `BUG_${bug}`, defines: [...defines, `-DBUG_${bug}`], expect: 'fail', reason,
    // found deep in the search: worth an optimised build
    heavy: bug === 'PADDING_BORN_CONSUMED' || bug === 'MARK_BEFORE_READ',
  }));
}

/**
 * @param {'spmc' | 'mpsc'} model
 * @param {string[]} defines
 * @param {number} mask
 * @param {string} what
 * @returns {Job}
 */
function witness(model, defines, mask, what) {
  return {
    model, variant: `witness ${mask}: ${what}`, defines: [...defines, `-DWITNESS=${mask}`], expect: 'reached',
    reason: new RegExp(`seen&${mask}\\)`), heavy: mask === 8,
  };
}

/**
 * Runs a command to completion; never rejects (a missing binary is an outcome).
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 * @returns {Promise<{ code: number | null, out: string }>}
 */
function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => { out += String(b); });
    child.stderr.on('data', (b) => { out += String(b); });
    child.on('error', (err) => resolve({ code: -1, out: `${cmd}: ${err.message}` }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/**
 * @param {Job} job
 * @param {boolean} keep
 * @returns {Promise<Outcome>}
 */
async function check(job, keep) {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `ringpool-${job.model}-`));
  /** @param {string} got @param {string} detail @param {string} [out] @returns {Outcome} */
  const finish = (got, detail, out = '') => {
    const states = /([\d.e+]+) states, stored/.exec(out)?.[1] ?? '-';
    const depth = /depth reached (\d+)/.exec(out)?.[1] ?? '-';
    const ok = got === (job.expect === 'pass' ? 'pass' : 'counterexample');
    const seconds = (performance.now() - started) / 1000;
    if (keep) detail += ` [kept in ${dir}]`;
    else rmSync(dir, { recursive: true, force: true });
    return { job, got, ok, states: states.includes('e') ? String(Number(states)) : states, depth, seconds, detail };
  };
  try {
    cpSync(join(here, 'common.pml'), join(dir, 'common.pml'));
    cpSync(join(here, `${job.model}.pml`), join(dir, `${job.model}.pml`));
    const gen = await run('spin', ['-a', ...job.defines, `${job.model}.pml`], dir);
    if (gen.code !== 0) return finish('error', `spin -a failed: ${gen.out.trim().split('\n').slice(-3).join(' | ')}`);
    // SAFETY: only safety properties are checked (assertions, end states), so
    // pan needs no cycle detection; the search stays exhaustive. COLLAPSE
    // compresses stored states, losslessly. Short runs build faster at -O0.
    const build = await run('gcc', [job.heavy === true ? '-O2' : '-O0', '-DSAFETY', '-DNOBOUNDCHECK', '-DCOLLAPSE',
      '-o', 'pan', 'pan.c'], dir);
    if (build.code !== 0) return finish('error', `gcc failed: ${build.out.trim().split('\n').slice(-3).join(' | ')}`);
    // -m: DFS depth limit, far above the ~500 steps the longest run takes;
    // -w: 2^w hash slots; -c1: stop at the first counterexample.
    const pan = await run('./pan', ['-m200000', job.heavy === true ? '-w26' : '-w22', '-c1'], dir);
    const out = pan.out;
    const errors = Number(/errors: (\d+)/.exec(out)?.[1] ?? NaN);
    if (/out of memory|memory limit|pan: reached -DMEMLIM/i.test(out)) return finish('incomplete', 'out of memory', out);
    if (/max search depth too small/.test(out)) return finish('incomplete', 'max search depth too small', out);
    if (Number.isNaN(errors)) return finish('error', `pan did not report: ${out.trim().split('\n').slice(-3).join(' | ')}`, out);
    if (errors === 0) {
      if (pan.code !== 0 || !/Full statespace search/.test(out) || /Search not completed/.test(out)) {
        return finish('incomplete', `search not complete (exit ${pan.code})`, out);
      }
      return finish('pass', 'no counterexample, search complete', out);
    }
    const violation = /^pan:1: (.*)$/m.exec(out)?.[1]?.replace(/\s+/g, ' ').replace('assertion violated', 'assert').trim() ?? 'error';
    if (job.reason !== undefined && !job.reason.test(violation.replace(/\s/g, ''))) {
      // A counterexample, but not the one the twin was written for.
      return finish('other', `unexpected: ${violation}`, out);
    }
    return finish('counterexample', violation, out);
  } catch (err) {
    return finish('error', String(err));
  }
}

/** Exits with a clear message when a tool is missing. */
function requireTools() {
  const spin = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  if (spin.error !== undefined || spin.status !== 0) {
    console.error('verify-model: `spin` not found. Install it: apt-get install -y spin (Debian/Ubuntu).');
    process.exit(2);
  }
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.error !== undefined || gcc.status !== 0) {
    console.error('verify-model: `gcc` not found; spin\'s verifiers are C. Install it: apt-get install -y gcc libc6-dev.');
    process.exit(2);
  }
  return { spin: spin.stdout.trim(), gcc: gcc.stdout.split('\n')[0]?.trim() ?? 'gcc' };
}

/**
 * @param {string[][]} rows
 * @returns {string}
 */
function table(rows) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r, n) => {
    const line = r.map((c, i) => (i >= 4 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
    return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const keep = args.includes('--keep');
  const jobsArg = args.find((a) => a.startsWith('--jobs='));
  const parallel = jobsArg !== undefined ? Math.max(1, Number(jobsArg.slice('--jobs='.length)) || 1)
    : Math.min(2, availableParallelism());
  const unknown = args.filter((a) => !a.startsWith('--only=') && !a.startsWith('--jobs=') && a !== '--keep');
  if (unknown.length > 0) {
    console.error(`verify-model: unknown argument ${unknown.join(' ')}; use [--only=TEXT] [--keep] [--jobs=N]`);
    process.exit(2);
  }
  const tools = requireTools();
  const jobs = JOBS.filter((j) => only === undefined || `${j.model} ${j.variant}`.includes(only));
  if (jobs.length === 0) {
    console.error(`verify-model: no run matches --only=${only}`);
    process.exit(2);
  }
  console.log(`verify-model: ${tools.spin}; ${tools.gcc}; ${availableParallelism()} cores, ${parallel} runs at a time`);
  console.log(`verify-model: ${jobs.length} runs (exhaustive search, pan -DSAFETY -DCOLLAPSE)\n`);

  const started = performance.now();
  /** @type {Outcome[]} */
  const outcomes = new Array(jobs.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      if (job === undefined) break;
      const o = await check(job, keep);
      outcomes[i] = o;
      process.stdout.write(`  ${o.ok ? 'ok  ' : 'FAIL'} ${job.model} ${job.variant} (${o.seconds.toFixed(1)} s)\n`);
    }
  });
  await Promise.all(lanes);
  const wall = (performance.now() - started) / 1000;

  const rows = [['model', 'variant', 'expected', 'got', 'states stored', 'depth', 'time (s)', 'verdict', 'detail']];
  for (const o of outcomes) {
    rows.push([o.job.model, o.job.variant, o.job.expect, o.got, o.states, o.depth, o.seconds.toFixed(1),
      o.ok ? 'ok' : 'WRONG', o.detail]);
  }
  console.log(`\n${table(rows)}\n`);
  const wrong = outcomes.filter((o) => !o.ok);
  const cpu = outcomes.reduce((s, o) => s + o.seconds, 0);
  console.log(`verify-model: ${outcomes.length - wrong.length} passed, ${wrong.length} failed`);
  console.log(`verify-model: ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s of runs`);
  if (wrong.length > 0) {
    for (const o of wrong) console.error(`verify-model: ${o.job.model} ${o.job.variant}: expected ${o.job.expect}, got ${o.got} (${o.detail})`);
    process.exit(1);
  }
}

await main();
