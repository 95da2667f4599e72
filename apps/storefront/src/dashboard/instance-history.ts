import type { MeshReading, MeshReadingView } from './mesh-reading.js';

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
  readonly #readings: MeshReading[] = [];
  #restarts = 0;

  constructor(private readonly windowMs: number) {}

  /** Times this address answered as a new process. */
  get restarts(): number {
    return this.#restarts;
  }

  get latest(): MeshReading | undefined {
    return this.#readings.at(-1);
  }

  record(reading: MeshReading): void {
    const previous = this.latest;
    if (previous && isRestart(previous.view, reading.view)) {
      this.#readings.length = 0;
      this.#restarts += 1;
    }
    this.#readings.push(reading);
    this.#prune(reading.at);
  }

  window(): InstanceWindow | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    const first = this.#readings[0]!;
    const baseline = first === latest ? undefined : first;
    return { latest, baseline, seconds: baseline ? (latest.at - baseline.at) / 1000 : 0 };
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
