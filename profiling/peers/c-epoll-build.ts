/**
 * Builds the optional C peer (profiling/peers/c-epoll.c) with gcc, next to
 * the compiled peers in dist/, when the binary is missing or older than its
 * source. No gcc, or a failed build: the reason, for the caller to print.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CBuild, buildC } from '../lib/c-build.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/profiling/peers/ -> profiling/peers/c-epoll.c in the source tree. */
export const C_EPOLL_SOURCE = path.resolve(here, '../../../profiling/peers/c-epoll.c');
export const C_EPOLL_BINARY = path.join(here, 'c-epoll');

export function buildCEpoll(): Promise<CBuild> {
  return buildC(C_EPOLL_SOURCE, C_EPOLL_BINARY);
}
