/**
 * Builds a one-file C program with gcc, when the binary is missing or older
 * than its source (the C peer of the benchmark, the flood attacker of the
 * reliability scripts). No gcc, or a failed build: the reason, for the
 * caller to print or raise.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

export type CBuild = { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };

export async function buildC(source: string, binary: string): Promise<CBuild> {
  if (!fs.existsSync(source)) return { ok: false, reason: `source not found: ${source}` };
  const binaryTime = fs.existsSync(binary) ? fs.statSync(binary).mtimeMs : -1;
  if (binaryTime >= fs.statSync(source).mtimeMs) return { ok: true, binary };
  try {
    await promisify(execFile)('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return { ok: false, reason: 'gcc not found (install it, e.g. apt-get install gcc)' };
    return { ok: false, reason: `gcc failed: ${e.stderr ?? e.message}` };
  }
  return { ok: true, binary };
}
