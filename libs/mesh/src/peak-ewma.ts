import type { Clock } from './clock.js';

/**
 * Peak-sensitive moving average of latency (Finagle/Linkerd): a sample above the estimate
 * replaces it at once, a sample below it blends in with weight exp(-dt / decay).
 */
export class PeakEwma {
  #estimateMs: number;
  #lastSampleAt: number;
  #sampled = false;

  constructor(
    private readonly clock: Clock,
    private readonly decayMs = 10_000,
    defaultRttMs = 30,
  ) {
    this.#estimateMs = defaultRttMs;
    this.#lastSampleAt = clock();
  }

  /**
   * The current estimate in ms, decayed toward zero by the time since the last sample, so an
   * endpoint that was slow once is tried again after a while instead of being shunned forever.
   */
  get estimateMs(): number {
    if (!this.#sampled) return this.#estimateMs;
    const elapsed = Math.max(0, this.clock() - this.#lastSampleAt);
    return this.#estimateMs * Math.exp(-elapsed / this.decayMs);
  }

  get sampled(): boolean {
    return this.#sampled;
  }

  /** `now` is a reading of the clock the caller already took. */
  observe(rttMs: number, now: number = this.clock()): void {
    const elapsed = Math.max(0, now - this.#lastSampleAt);
    this.#lastSampleAt = now;
    if (!this.#sampled) {
      this.#sampled = true;
      this.#estimateMs = rttMs;
      return;
    }
    const weight = Math.exp(-elapsed / this.decayMs);
    const decayed = this.#estimateMs * weight;
    this.#estimateMs = rttMs > decayed ? rttMs : decayed + rttMs * (1 - weight);
  }
}
