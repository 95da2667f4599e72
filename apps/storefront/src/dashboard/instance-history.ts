import type { MeshReading, MeshReadingView } from './mesh-reading.js';
import { SlidingReadings } from './sliding-readings.js';

/** The latest reading of an instance and the one the window starts at, if it has two. */
export interface InstanceWindow {
  latest: MeshReading;
  baseline: MeshReading | undefined;
  /** Seconds between the two readings; 0 without a baseline. */
  seconds: number;
}

/**
 * The recent `/mesh` readings of one instance: enough to diff cumulative counters over a sliding
 * window. A new instance id or a counter that went back means the process restarted: the
 * readings before that belong to another process and are dropped.
 */
export class InstanceHistory {
  readonly #readings: SlidingReadings<MeshReading>;
  #restarts = 0;

  constructor(windowMs: number) {
    this.#readings = new SlidingReadings(windowMs);
  }

  /** Times this address answered as a new process. */
  get restarts(): number {
    return this.#restarts;
  }

  get latest(): MeshReading | undefined {
    return this.#readings.latest;
  }

  record(reading: MeshReading): void {
    const previous = this.latest;
    if (previous && isRestart(previous.view, reading.view)) {
      this.#readings.clear();
      this.#restarts += 1;
    }
    this.#readings.push(reading);
  }

  window(): InstanceWindow | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    const first = this.#readings.first!;
    const baseline = first === latest ? undefined : first;
    return { latest, baseline, seconds: baseline ? (latest.at - baseline.at) / 1000 : 0 };
  }
}

function isRestart(previous: MeshReadingView, next: MeshReadingView): boolean {
  if (previous.instance !== next.instance) return true;
  const before = new Map(previous.upstreams.map((upstream) => [upstream.name, upstream.calls]));
  for (const upstream of next.upstreams) {
    const earlier = before.get(upstream.name);
    if (
      earlier &&
      (upstream.calls.calls < earlier.calls || upstream.calls.failed < earlier.failed)
    ) {
      return true;
    }
  }
  return totalShed(next) < totalShed(previous);
}

export function totalShed(view: MeshReadingView): number {
  return Object.values(view.shed).reduce((sum, count) => sum + count, 0);
}
