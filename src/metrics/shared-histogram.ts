/**
 * A fixed-bucket histogram stored as plain numbers in a Float64Array, so the
 * thread that observes pays a few comparisons and two adds, and a scrape on
 * another thread turns the words into Prometheus buckets.
 *
 * Slots from `offset`: one count per bucket (non-cumulative; the last bucket
 * is +Inf), then the sum of every observed value.
 */
export interface BucketSpec {
  readonly offset: number;
  /** Upper bounds (inclusive, as Prometheus' `le`), ascending, without +Inf. */
  readonly bounds: readonly number[];
}

/** Words the histogram occupies: a count per bound, +Inf, and the sum. */
export function bucketSlots(spec: BucketSpec): number {
  return spec.bounds.length + 2;
}

export function observe(words: Float64Array, spec: BucketSpec, value: number): void {
  const bounds = spec.bounds;
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  words[spec.offset + i]! += 1;
  words[spec.offset + bounds.length + 1]! += value;
}

export interface HistogramSnapshot {
  /** Cumulative counts, one per bound, then +Inf (= the total count). */
  readonly cumulative: number[];
  readonly sum: number;
}

/** Adds `words`' histogram into `into` (scrape side; allocates). */
export function accumulate(into: HistogramSnapshot | null, words: Float64Array, spec: BucketSpec): HistogramSnapshot {
  const n = spec.bounds.length + 1;
  const cumulative = into?.cumulative.slice() ?? new Array<number>(n).fill(0);
  let running = 0;
  for (let i = 0; i < n; i++) {
    running += words[spec.offset + i]!;
    cumulative[i]! += running;
  }
  return { cumulative, sum: (into?.sum ?? 0) + words[spec.offset + n]! };
}
