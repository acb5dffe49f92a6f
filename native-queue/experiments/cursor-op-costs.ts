/**
 * What one cursor operation costs on one thread, uncontended, for the three
 * ways of holding a cursor (spsc-ring-64.ts): an Int32 word and number
 * arithmetic (the package's choice), a BigInt64 word with BigInt
 * arithmetic, and a BigInt64 word converted to and from a number at each
 * Atomics call.
 *
 * Each loop does one operation per iteration with a loop-carried value (so
 * nothing can be hoisted or dropped as dead code); an empty loop with the
 * same carried work is subtracted. The best of several rounds is kept: noise
 * only ever adds time. These are costs with the cache line already in this
 * core's cache: the price of moving it between cores comes on top, and is
 * what the throughput trials show.
 */

export const CURSOR_OPS = ['load', 'store', 'fetch-add', 'compare-exchange', 'signed-compare'] as const;
export type CursorOp = (typeof CURSOR_OPS)[number];
export const CURSOR_KINDS = ['int32', 'bigint', 'number'] as const;
export type CursorWidthKind = (typeof CURSOR_KINDS)[number];

type Loop = (n: number, i32: Int32Array, b64: BigInt64Array) => number;

function empty(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = (acc + i) | 0;
  return acc;
}

// ── Int32 word, number arithmetic ───────────────────────────────────────────
const i32Load: Loop = (n, a) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + Atomics.load(a, 0) + i) | 0; return acc; };
const i32Store: Loop = (n, a) => { let acc = 0; for (let i = 0; i < n; i++) { Atomics.store(a, 0, acc); acc = (acc + i) | 0; } return acc; };
const i32Add: Loop = (n, a) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + Atomics.add(a, 0, 1) + i) | 0; return acc; };
const i32Cas: Loop = (n, a) => {
  let acc = 0;
  let v = Atomics.load(a, 0);
  for (let i = 0; i < n; i++) {
    const next = (v + 1) | 0;
    if (Atomics.compareExchange(a, 0, v, next) === v) v = next;
    acc = (acc + i) | 0;
  }
  return acc + v;
};
const i32Compare: Loop = (n, a) => {
  // a[1] and a[2] are the two positions, read plainly once: the loop
  // compares them as the ring does, (w - r) | 0 > 0, with a carried offset.
  const w = a[1]!;
  const r = a[2]!;
  let acc = 0;
  for (let i = 0; i < n; i++) if ((((w + i) - r) | 0) > 0) acc = (acc + i) | 0;
  return acc;
};

// ── BigInt64 word, BigInt arithmetic ────────────────────────────────────────
const bigLoad: Loop = (n, _a, b) => { let acc = 0n; for (let i = 0; i < n; i++) acc = BigInt.asIntN(64, acc + Atomics.load(b, 0)); return Number(acc & 1n); };
const bigStore: Loop = (n, _a, b) => { let pos = 0n; for (let i = 0; i < n; i++) { Atomics.store(b, 0, pos); pos += 1n; } return Number(pos & 1n); };
const bigAdd: Loop = (n, _a, b) => { let acc = 0n; for (let i = 0; i < n; i++) acc = BigInt.asIntN(64, acc + Atomics.add(b, 0, 1n)); return Number(acc & 1n); };
const bigCas: Loop = (n, _a, b) => {
  let v = Atomics.load(b, 0);
  for (let i = 0; i < n; i++) {
    const next = v + 1n;
    if (Atomics.compareExchange(b, 0, v, next) === v) v = next;
  }
  return Number(v & 1n);
};
const bigCompare: Loop = (n, _a, b) => {
  const w = b[1]!;
  const r = b[2]!;
  let acc = 0;
  let off = 0n;
  for (let i = 0; i < n; i++) {
    if (w + off - r > 0n) acc = (acc + i) | 0;
    off += 1n;
  }
  return acc;
};

// ── BigInt64 word, number arithmetic (BigInt()/Number() at each call) ───────
const numLoad: Loop = (n, _a, b) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + Number(Atomics.load(b, 0)) + i) | 0; return acc; };
const numStore: Loop = (n, _a, b) => { let pos = 0; for (let i = 0; i < n; i++) { Atomics.store(b, 0, BigInt(pos)); pos += 1; } return pos; };
const numAdd: Loop = (n, _a, b) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + Number(Atomics.add(b, 0, 1n)) + i) | 0; return acc; };
const numCas: Loop = (n, _a, b) => {
  let v = Number(Atomics.load(b, 0));
  for (let i = 0; i < n; i++) {
    const next = v + 1;
    if (Number(Atomics.compareExchange(b, 0, BigInt(v), BigInt(next))) === v) v = next;
  }
  return v;
};
const numCompare: Loop = (n, _a, b) => {
  // Numbers up to 2^53 compare directly: no wrap, no signed difference.
  const w = Number(b[1]!);
  const r = Number(b[2]!);
  let acc = 0;
  for (let i = 0; i < n; i++) if (w + i - r > 0) acc = (acc + i) | 0;
  return acc;
};

const LOOPS: Readonly<Record<CursorWidthKind, Readonly<Record<CursorOp, Loop>>>> = {
  int32: { 'load': i32Load, 'store': i32Store, 'fetch-add': i32Add, 'compare-exchange': i32Cas, 'signed-compare': i32Compare },
  bigint: { 'load': bigLoad, 'store': bigStore, 'fetch-add': bigAdd, 'compare-exchange': bigCas, 'signed-compare': bigCompare },
  number: { 'load': numLoad, 'store': numStore, 'fetch-add': numAdd, 'compare-exchange': numCas, 'signed-compare': numCompare },
};

export interface OpCost {
  readonly kind: CursorWidthKind;
  readonly op: CursorOp;
  readonly nsPerOp: number;
}

let sink = 0;

function time(loop: Loop, n: number, i32: Int32Array, b64: BigInt64Array): number {
  const t0 = process.hrtime.bigint();
  sink = (sink + loop(n, i32, b64)) | 0;
  return Number(process.hrtime.bigint() - t0) / n;
}

/** One repetition: every (kind, op), best of `rounds` after a warm-up round. */
export function measureOpCosts(iterations: number, rounds: number): OpCost[] {
  const buffer = new SharedArrayBuffer(256);
  const i32 = new Int32Array(buffer, 0, 16);
  const b64 = new BigInt64Array(buffer, 128, 16);
  i32[1] = 2 ** 31 - 10; i32[2] = 2 ** 31 - 20;
  b64[1] = 2n ** 40n; b64[2] = 2n ** 40n - 10n;
  const best = new Map<string, number>();
  let baseline = Infinity;
  for (let round = 0; round <= rounds; round++) {
    const e0 = process.hrtime.bigint();
    sink = (sink + empty(iterations)) | 0;
    const e = Number(process.hrtime.bigint() - e0) / iterations;
    for (const kind of CURSOR_KINDS) {
      for (const op of CURSOR_OPS) {
        const ns = time(LOOPS[kind][op], iterations, i32, b64);
        if (round > 0) best.set(`${kind} ${op}`, Math.min(best.get(`${kind} ${op}`) ?? Infinity, ns));
      }
    }
    if (round > 0) baseline = Math.min(baseline, e);
  }
  if (sink === 0.5) throw new Error('unreachable: keeps the loops alive');
  return CURSOR_KINDS.flatMap((kind) => CURSOR_OPS.map((op) => ({
    kind, op, nsPerOp: Math.max(0, best.get(`${kind} ${op}`)! - baseline),
  })));
}
