/**
 * Builds the optional C peer (profiling/peers/c-epoll.c) with gcc, next to
 * the compiled peers in dist/, when the binary is missing or older than its
 * source. No gcc, or a failed build: the reason, for the caller to print.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/profiling/peers/ -> profiling/peers/c-epoll.c in the source tree. */
export const C_EPOLL_SOURCE = path.resolve(here, '../../../profiling/peers/c-epoll.c');
export const C_EPOLL_BINARY = path.join(here, 'c-epoll');

export type CBuild = { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };

export async function buildCEpoll(): Promise<CBuild> {
  if (!fs.existsSync(C_EPOLL_SOURCE)) return { ok: false, reason: `source not found: ${C_EPOLL_SOURCE}` };
  const binaryTime = fs.existsSync(C_EPOLL_BINARY) ? fs.statSync(C_EPOLL_BINARY).mtimeMs : -1;
  if (binaryTime >= fs.statSync(C_EPOLL_SOURCE).mtimeMs) return { ok: true, binary: C_EPOLL_BINARY };
  try {
    await promisify(execFile)('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', C_EPOLL_BINARY, C_EPOLL_SOURCE]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return { ok: false, reason: 'gcc not found (install it, e.g. apt-get install gcc)' };
    return { ok: false, reason: `gcc failed: ${e.stderr ?? e.message}` };
  }
  return { ok: true, binary: C_EPOLL_BINARY };
}
