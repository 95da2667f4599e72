import { MeshConfigError } from '../errors.js';

/** Fewer samples than this say too little about the tail to hedge on. */
export const MIN_QUANTILE_SAMPLES = 20;

/** Records between re-sorts: quantiles may lag this many samples behind, in exchange for O(1) `record`. */
const RESORT_EVERY = 64;

/**
 * The latencies of the last `capacity` responses, for picking a hedging delay such as the p95.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;
  #sorted: Float64Array | undefined;
  #recordsSinceSort = 0;

  constructor(capacity = 1024) {
    if (!Number.isSafeInteger(capacity) || capacity < MIN_QUANTILE_SAMPLES) {
      throw new MeshConfigError(
        'ERR_INVALID_HEDGE_OPTIONS',
        `Invalid latency window capacity: ${String(capacity)}`,
        {
          advice: `pass capacity as an integer >= ${MIN_QUANTILE_SAMPLES}, the samples needed before a quantile is known`,
        },
      );
    }
    this.#samples = new Float64Array(capacity);
  }

  /** Samples currently held (at most the capacity). */
  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    // A clock glitch must not drag the hedging delay to NaN or below zero.
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count += 1;
    this.#recordsSinceSort += 1;
  }

  /** The q-quantile (0..1, nearest rank) of the held samples; undefined while there are too few. */
  quantile(q: number): number | undefined {
    if (this.#count < MIN_QUANTILE_SAMPLES || Number.isNaN(q)) return undefined;
    if (this.#sorted === undefined || this.#recordsSinceSort >= RESORT_EVERY) {
      this.#sorted = this.#samples.slice(0, this.#count).sort();
      this.#recordsSinceSort = 0;
    }
    const sorted = this.#sorted;
    const rank = Math.ceil(Math.min(1, Math.max(0, q)) * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }
}
