import { round } from './rounding.js';

interface JourneyReading {
  at: number;
  /** Journeys that ended so far, ok or failed. */
  ended: number;
}

/**
 * The loadgen's journeys per second over a sliding window, from the differences of its
 * cumulative counters. A count that went back means a new loadgen: its history starts again.
 */
export class JourneyRate {
  readonly #readings: JourneyReading[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records a report's counters; answers the rate, or null until there are two readings. */
  record(at: number, counts: { ok: number; failed: number }): number | null {
    const ended = counts.ok + counts.failed;
    const previous = this.#readings.at(-1);
    if (previous && ended < previous.ended) this.#readings.length = 0;
    this.#readings.push({ at, ended });
    this.#prune(at);
    const baseline = this.#readings[0]!;
    const seconds = (at - baseline.at) / 1000;
    if (seconds <= 0) return null;
    return round((ended - baseline.ended) / seconds, 2);
  }

  /** No loadgen now: the next one is another process. */
  reset(): void {
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
