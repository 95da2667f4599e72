/** Buckets per doubling of the duration: bounds 19% apart, so a quantile is within ~10%. */
const BUCKETS_PER_DOUBLING = 4;
/** The smallest bound, in ms: a loopback call takes ~0.1 ms. */
const SMALLEST_BOUND_MS = 0.05;
/** Bounds up to ~180 s; anything slower lands in the last, open bucket. */
const BOUND_COUNT = 4 * 22;

/** Upper bounds of the duration buckets, in ms (the last bucket, past them, is open). */
export const CALL_DURATION_BOUNDS_MS: readonly number[] = Object.freeze(
  Array.from(
    { length: BOUND_COUNT },
    (_, index) => Math.round(SMALLEST_BOUND_MS * 2 ** (index / BUCKETS_PER_DOUBLING) * 1000) / 1000,
  ),
);

/** Cumulative counts of one upstream's calls, for dashboards that diff two readings. */
export interface CallTotals {
  /** Calls that ended (answered or failed) since the mesh started. */
  readonly calls: number;
  /** Calls that threw or were answered with a 5xx status. */
  readonly failed: number;
  /** `durationCounts[i]` calls took at most `CALL_DURATION_BOUNDS_MS[i]`; the last entry is the rest. */
  readonly durationCounts: readonly number[];
}

/** Counts one upstream's calls and their durations in log-spaced buckets (O(1) per call). */
export class CallStats {
  #calls = 0;
  #failed = 0;
  readonly #counts = new Float64Array(BOUND_COUNT + 1);

  record(durationMs: number, failed: boolean): void {
    this.#calls += 1;
    if (failed) this.#failed += 1;
    this.#counts[bucketOf(durationMs)]! += 1;
  }

  totals(): CallTotals {
    return { calls: this.#calls, failed: this.#failed, durationCounts: Array.from(this.#counts) };
  }
}

function bucketOf(durationMs: number): number {
  if (!(durationMs > SMALLEST_BOUND_MS)) return 0;
  let index = Math.ceil(Math.log2(durationMs / SMALLEST_BOUND_MS) * BUCKETS_PER_DOUBLING);
  // The bounds are rounded to 1 µs: the computed bucket may be one off either way.
  if (index > 0 && durationMs <= (CALL_DURATION_BOUNDS_MS[index - 1] ?? Infinity)) index -= 1;
  else if (durationMs > (CALL_DURATION_BOUNDS_MS[index] ?? Infinity)) index += 1;
  return Math.min(index, BOUND_COUNT);
}

/**
 * The `quantile` (0..1) of the calls counted in `counts` (for example the difference of two
 * readings), interpolated inside its bucket; undefined when there are no calls.
 */
export function durationQuantile(counts: readonly number[], quantile: number): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total <= 0) return undefined;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let seen = 0;
  for (let index = 0; index < counts.length; index += 1) {
    const count = counts[index]!;
    if (count <= 0) continue;
    if (seen + count >= rank) {
      const lower = index === 0 ? 0 : CALL_DURATION_BOUNDS_MS[index - 1]!;
      const upper = CALL_DURATION_BOUNDS_MS[index] ?? lower * 2 ** (1 / BUCKETS_PER_DOUBLING);
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return CALL_DURATION_BOUNDS_MS[CALL_DURATION_BOUNDS_MS.length - 1];
}
