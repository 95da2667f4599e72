import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { optionalNumber, optionsObject, rejectUnknownKeys } from './option-checks.js';

/** Where load shedding reads the event loop delay from; inject your own in tests. */
export interface EventLoopDelaySource {
  /** The recent p99 event loop delay, in milliseconds. */
  delayMs(): number;
  close?(): void;
}

export interface EventLoopDelayMonitorOptions {
  /** How long one measurement window lasts; default 1000 ms. */
  windowMs?: number;
  /** How often the loop is sampled; default 10 ms. */
  resolutionMs?: number;
}

/**
 * p99 event loop delay from `perf_hooks.monitorEventLoopDelay`, over short windows: `delayMs()`
 * is the larger of the last full window and the current one, so a reading covers the last one
 * to two windows and recovers soon after the loop does. The delay is how late the sampling timer
 * ran, without its own interval. Timers are unref'ed: the monitor never keeps a process alive.
 */
export class EventLoopDelayMonitor implements EventLoopDelaySource {
  readonly #histogram: ELDHistogram;
  readonly #resolutionMs: number;
  readonly #timer: NodeJS.Timeout;
  #previousWindowMs = 0;

  constructor(options: EventLoopDelayMonitorOptions = {}) {
    const checked = optionsObject(options, 'EventLoopDelayMonitor options');
    rejectUnknownKeys(checked, ['windowMs', 'resolutionMs']);
    const windowMs =
      optionalNumber(checked['windowMs'], 'windowMs', { min: 10, max: 60_000, unit: 'ms' }) ??
      1_000;
    this.#resolutionMs =
      optionalNumber(checked['resolutionMs'], 'resolutionMs', {
        min: 1,
        max: 1_000,
        integer: true,
        unit: 'ms',
      }) ?? 10;
    this.#histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs });
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#previousWindowMs = this.#currentWindowMs();
      this.#histogram.reset();
    }, windowMs);
    this.#timer.unref();
  }

  delayMs(): number {
    return Math.max(this.#previousWindowMs, this.#currentWindowMs());
  }

  close(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #currentWindowMs(): number {
    if (this.#histogram.count === 0) return 0;
    // The histogram records each interval between samples; the delay is what exceeds the interval.
    return Math.max(0, this.#histogram.percentile(99) / 1e6 - this.#resolutionMs);
  }
}
