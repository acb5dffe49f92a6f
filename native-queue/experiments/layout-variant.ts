/**
 * The package's own rings with their cursors moved, for the padding
 * experiment: the compiled modules of src/ (dist/src/*.js) copied byte for
 * byte into a folder of their own, with two constants of layout.js changed,
 * READ and RELEASE. Every other line is the package's: the same algorithm,
 * the same sleep protocol, the same statistics. src/ itself is untouched.
 *
 *   stride 128 (the package)   WRITE byte 0, READ byte 128, RELEASE byte 256
 *   stride 64                  WRITE byte 0, READ byte 64,  RELEASE byte 128
 *   stride 4                   WRITE byte 0, READ byte 4,   RELEASE byte 8: one cache line
 *
 * Only WRITE and READ are hot (RELEASE is written by the SPMC producer when
 * it reclaims, and read by nobody on the fast path), so "stride" is the
 * distance between the producers' cursor and the consumers' cursor. The
 * waiter words, the configuration and the statistics slots stay where they
 * are (byte 384 onwards).
 *
 * A copy of the compiled code rather than a parameter in src/: the package
 * keeps its offsets constant (V8 folds them into the generated code), and an
 * experiment must not make the real ring pay for a knob it does not need.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MpscRing, SpmcRing } from '../src/index.js';

/** The package's distance between WRITE and READ (layout.ts, CACHE_LINE_BYTES). */
export const PACKAGE_STRIDE = 128;
export const CURSOR_STRIDES = [4, 64, 128] as const;

const SOURCE = new URL('../src/', import.meta.url);
const VARIANTS = new URL('./layout-variants/', import.meta.url);

/** The exact lines of the compiled layout.js this module rewrites; a mismatch fails loudly. */
const READ_LINE = 'export const READ = 32;';
const RELEASE_LINE = 'export const RELEASE = 64;';

/**
 * The folder (a file: URL ending in '/') holding the package's modules with
 * WRITE and READ `stride` bytes apart; the package's own dist/src for 128.
 * Safe to call from several processes at once: each file is written to a
 * private name and renamed into place, and every writer writes the same bytes.
 */
export function layoutVariant(stride: number): URL {
  if (stride === PACKAGE_STRIDE) return SOURCE;
  if (!Number.isInteger(stride) || stride < 4 || stride > PACKAGE_STRIDE || stride % 4 !== 0) {
    throw new RangeError(`cursor stride must be a multiple of 4 from 4 to ${PACKAGE_STRIDE} bytes, got ${stride}`);
  }
  const dir = new URL(`cursor-stride-${stride}/`, VARIANTS);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(SOURCE)) {
    if (!name.endsWith('.js')) continue;
    let text = fs.readFileSync(new URL(name, SOURCE), 'utf8');
    if (name === 'layout.js') {
      if (!text.includes(READ_LINE) || !text.includes(RELEASE_LINE)) {
        throw new Error(`layout variant: dist/src/layout.js no longer has "${READ_LINE}" and "${RELEASE_LINE}"; update ${fileURLToPath(import.meta.url)}`);
      }
      text = text.replace(READ_LINE, `export const READ = ${stride / 4};`)
        .replace(RELEASE_LINE, `export const RELEASE = ${(2 * stride) / 4};`);
    }
    const target = new URL(name, dir);
    const temporary = new URL(`${name}.${process.pid}.${Date.now()}.tmp`, dir);
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, target);
  }
  return dir;
}

/** The two ring classes of a layout variant (or of the package). */
export interface RingClasses {
  readonly SpmcRing: typeof SpmcRing;
  readonly MpscRing: typeof MpscRing;
}

/** Loads the rings of a folder made by layoutVariant(). */
export async function importRings(dir: URL): Promise<RingClasses> {
  const spmc = await import(new URL('spmc-ring.js', dir).href) as { SpmcRing: typeof SpmcRing };
  const mpsc = await import(new URL('mpsc-ring.js', dir).href) as { MpscRing: typeof MpscRing };
  return { SpmcRing: spmc.SpmcRing, MpscRing: mpsc.MpscRing };
}
