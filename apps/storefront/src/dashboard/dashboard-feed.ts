import type { Logger } from 'pino';
import type { DashboardView } from './dashboard-view.js';
import type { EventStream } from './event-stream.js';
import type { MeshCollector } from './mesh-collector.js';

export const DEFAULT_INTERVAL_MS = 1_000;
/** Polling stops this long after the last stream closed and the last state was asked for. */
export const DEFAULT_IDLE_MS = 30_000;

export interface DashboardFeedOptions {
  collector: MeshCollector;
  stream: EventStream;
  logger: Logger;
  intervalMs?: number;
  idleMs?: number;
}

/**
 * Runs the collector every interval and sends each view to the streams, but only while someone
 * looks: an open stream, or a state request within the idle time. An unwatched dashboard costs
 * the shop nothing.
 */
export class DashboardFeed {
  readonly #options: DashboardFeedOptions;
  readonly #intervalMs: number;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #lastDemand = 0;
  #lastError: string | undefined;
  #closed = false;

  constructor(options: DashboardFeedOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Someone is looking: keep (or start) polling. */
  demand(): void {
    if (this.#closed) return;
    this.#lastDemand = Date.now();
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    // The dashboard alone never keeps the process alive.
    this.#timer.unref();
    this.#tick();
  }

  /** The latest view, or a new one when there is none from the last two intervals. */
  async current(): Promise<DashboardView> {
    this.demand();
    return this.fresh() ?? this.#options.collector.collect();
  }

  /** The latest view if it is recent: after a pause in polling it is not. */
  fresh(): DashboardView | undefined {
    const latest = this.#options.collector.latest;
    if (!latest || Date.now() - Date.parse(latest.generatedAt) > 2 * this.#intervalMs) {
      return undefined;
    }
    return latest;
  }

  /** Collects now rather than at the next tick, after something changed (chaos). */
  refresh(): void {
    if (this.#timer) this.#tick();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const { collector, stream, logger } = this.#options;
    if (stream.clients === 0 && Date.now() - this.#lastDemand > this.#idleMs) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      collector.pause().catch(() => undefined);
      return;
    }
    // A slow round (instances timing out) is not stacked with the next one.
    if (this.#busy) return;
    this.#busy = true;
    collector
      .collect()
      .then(
        (view) => {
          this.#lastError = undefined;
          if (!this.#closed) stream.broadcast('snapshot', view);
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (this.#closed || message === this.#lastError) return;
          this.#lastError = message;
          logger.error({ err: { message } }, 'The dashboard could not build its view');
        },
      )
      .finally(() => {
        this.#busy = false;
      });
  }
}
