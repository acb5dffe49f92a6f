/**
 * What every reliability script shares: run as a CLI or imported by a test,
 * a result with its list of violations (empty = the guarantee held), a JSON
 * copy under profiling/out/reliability/, and plain-text tables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUT_DIR = fileURLToPath(new URL('../../../../profiling/out/reliability/', import.meta.url));

export interface ScenarioResult {
  readonly scenario: string;
  /** Each broken guarantee, with its figures; empty when everything held. */
  readonly violations: readonly string[];
  /** One line of figures for the README table. */
  readonly summary: string;
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === path.resolve(process.argv[1]);
}

/** The machine, for the head of every report. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/** Writes the result as JSON; returns the path. */
export function saveResult(name: string, result: unknown): string {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), result }, null, 2)}\n`);
  return file;
}

/** Prints a result's violations and sets a failing exit code when there are any. */
export function finish(result: ScenarioResult): void {
  process.stdout.write(`\n${result.scenario}: ${result.summary}\n`);
  if (result.violations.length === 0) {
    process.stdout.write('guarantee held: no violation\n');
    return;
  }
  process.stdout.write(`VIOLATIONS (${result.violations.length}):\n${result.violations.map((v) => `  - ${v}`).join('\n')}\n`);
  process.exitCode = 1;
}

/** A fresh temporary folder for a scenario's logs. */
export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ringpool-${name}-`));
}

export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
