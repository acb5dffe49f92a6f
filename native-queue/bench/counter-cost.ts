/**
 * The price of the ring's always-on statistics, measured in isolation (the
 * ring has no switch to turn them off, and the benchmark does not fork it).
 *
 * Each ring counter is a plain `f64[field] += n` on a Float64Array over the
 * ring's SharedArrayBuffer, in a 128-byte slot only the current thread
 * writes. Per record the ring bumps RECORDS and BYTES on the producer side
 * (commit) and the same two on the consumer side (drain/deliver).
 *
 * Three loops with the same loop-carried integer work:
 *   empty   acc = (acc + i) | 0
 *   one     + f64[a] += 1
 *   two     + f64[a] += 1; f64[b] += len     (one record, one side)
 * The differences are the increments' cost. The loops run back to back and
 * the best of several rounds is kept (noise only ever adds time).
 *
 * This is an upper bound of sorts: in a tight loop each `+=` waits for the
 * previous store to forward (a dependency chain through memory). Inside the
 * ring the increments overlap with other work, so their real cost is at most
 * this and usually less.
 */

export interface CounterCost {
  readonly iterations: number;
  readonly emptyNsPerIter: number;
  readonly oneIncrementNsPerIter: number;
  readonly twoIncrementsNsPerIter: number;
  /** (one - empty): one `f64[i] += 1` on a shared Float64Array. */
  readonly nsPerIncrement: number;
  /** (two - empty): what one record adds on one side (producer or consumer). */
  readonly nsPerRecordPerSide: number;
}

function emptyLoop(n: number, _f64: Float64Array, _a: number, _b: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = (acc + i) | 0;
  return acc;
}

function oneIncrement(n: number, f64: Float64Array, a: number, _b: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = (acc + i) | 0;
    f64[a]! += 1;
  }
  return acc;
}

function twoIncrements(n: number, f64: Float64Array, a: number, b: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = (acc + i) | 0;
    f64[a]! += 1;
    f64[b]! += 64;
  }
  return acc;
}

type Loop = typeof emptyLoop;

function timeLoop(loop: Loop, n: number, f64: Float64Array, a: number, b: number): number {
  const t0 = process.hrtime.bigint();
  const acc = loop(n, f64, a, b);
  const ns = Number(process.hrtime.bigint() - t0);
  // Use the result so the loop cannot be dropped as dead code.
  if (acc === 0.5) throw new Error('unreachable');
  return ns / n;
}

export function measureCounterCost(iterations: number, rounds: number): CounterCost {
  // A slot-shaped view, as the ring has: 8 doubles at a 128-byte offset.
  const shared = new SharedArrayBuffer(4096);
  const f64 = new Float64Array(shared, 128 * 6, 8);
  // Indexes passed as arguments, not constants, as in the ring (STAT_* via a view).
  const a = 0;
  const b = 1;
  const best = { empty: Infinity, one: Infinity, two: Infinity };
  // Round 0 is warm-up (tier-up of all three loops), the rest are measured.
  for (let round = 0; round <= rounds; round++) {
    f64.fill(0);
    const empty = timeLoop(emptyLoop, iterations, f64, a, b);
    const one = timeLoop(oneIncrement, iterations, f64, a, b);
    const two = timeLoop(twoIncrements, iterations, f64, a, b);
    if (f64[a] !== 2 * iterations || f64[b] !== 64 * iterations) {
      throw new Error(`counter loops did not run: f64[a]=${f64[a]}, f64[b]=${f64[b]}, iterations=${iterations}`);
    }
    if (round === 0) continue;
    best.empty = Math.min(best.empty, empty);
    best.one = Math.min(best.one, one);
    best.two = Math.min(best.two, two);
  }
  return {
    iterations,
    emptyNsPerIter: best.empty,
    oneIncrementNsPerIter: best.one,
    twoIncrementsNsPerIter: best.two,
    nsPerIncrement: Math.max(0, best.one - best.empty),
    nsPerRecordPerSide: Math.max(0, best.two - best.empty),
  };
}
