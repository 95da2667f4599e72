import { round } from './rounding.js';
import { SlidingReadings } from './sliding-readings.js';

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
  readonly #readings: SlidingReadings<JourneyReading>;

  constructor(windowMs: number) {
    this.#readings = new SlidingReadings(windowMs);
  }

  /** Records a report's counters; answers the rate, or null until there are two readings. */
  record(at: number, counts: { ok: number; failed: number }): number | null {
    const ended = counts.ok + counts.failed;
    const previous = this.#readings.latest;
    if (previous && ended < previous.ended) this.#readings.clear();
    this.#readings.push({ at, ended });
    const baseline = this.#readings.first!;
    const seconds = (at - baseline.at) / 1000;
    if (seconds <= 0) return null;
    return round((ended - baseline.ended) / seconds, 2);
  }

  /** No loadgen now: the next one is another process. */
  reset(): void {
    this.#readings.clear();
  }
}
