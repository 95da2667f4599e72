/**
 * Timestamped readings of cumulative counters over a sliding window: the oldest kept reading is
 * the last one at or before the window's start, so differences cover the whole window.
 */
export class SlidingReadings<Reading extends { at: number }> {
  readonly #readings: Reading[] = [];

  constructor(private readonly windowMs: number) {}

  get first(): Reading | undefined {
    return this.#readings[0];
  }

  get latest(): Reading | undefined {
    return this.#readings.at(-1);
  }

  push(reading: Reading): void {
    this.#readings.push(reading);
    this.#prune(reading.at);
  }

  /** The counters started again (another process): earlier readings no longer compare. */
  clear(): void {
    this.#readings.length = 0;
  }

  /** Keeps the last reading at or before the window's start as the baseline, never a stale one. */
  #prune(now: number): void {
    const start = now - this.windowMs;
    while (this.#readings.length > 1) {
      const next = this.#readings[1]!;
      const oldest = this.#readings[0]!;
      // After a pause in polling the oldest reading may be far older than the window.
      if (next.at <= start || oldest.at < now - 2 * this.windowMs) this.#readings.shift();
      else break;
    }
  }
}
