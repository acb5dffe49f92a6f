/**
 * Deterministic CPU work, to study pool size with `--job-work N`: N rounds
 * of an xorshift32 step that the JIT cannot skip or fold (each round depends
 * on the previous one, and the result is returned for the caller to keep).
 * Measured on the development machine (AMD EPYC, 2 vCPU, Node 20, built
 * output, 2,000 calls each): about 1.7 ns per unit (20,000 units ≈ 34 µs,
 * 100,000 ≈ 165 µs), so `--job-work 12000` is a job of about 20 µs.
 */
export function cpuWork(units: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < units; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}
