import { performance } from 'node:perf_hooks';
import type { ServiceClient } from '@trellis/mesh';
import { JOURNEYS, JourneyFailure, type JourneyContext } from './journeys.js';
import { formatMix, pickJourney, type JourneyKind, type LoadMix } from './load-mix.js';
import { LoadStats } from './load-stats.js';

export interface LoadGeneratorOptions {
  /** The mesh client of the storefront's BFF. */
  storefront: ServiceClient;
  rps: number;
  mix: LoadMix;
  /** Journeys under way at most; arrivals beyond it are counted as skipped. */
  maxInFlight: number;
  /** Users `load-1` .. `load-<users>`. */
  users: number;
  /** Time each request of a journey gets, in ms. */
  requestTimeoutMs?: number;
  /** How often the schedule is checked, in ms. */
  tickMs?: number;
  random?: () => number;
  /** Told about every journey that ends, e.g. to count it in metrics. */
  onJourneyEnd?: (kind: JourneyKind, outcome: 'ok' | 'failed') => void;
}

export interface LoadSettings {
  rps?: number;
  mix?: LoadMix;
}

/**
 * Open-loop traffic: journeys start at the set rate whether or not earlier ones have finished
 * (so a slow shop shows up as latency and failures, not as a quietly lower rate), up to a cap on
 * journeys under way so a stalled storefront cannot pile up unbounded work.
 */
export class LoadGenerator {
  readonly #options: LoadGeneratorOptions;
  readonly #stats = new LoadStats();
  readonly #knownSkus: string[] = [];
  readonly #random: () => number;
  #rps: number;
  #mix: LoadMix;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  /** The rate's start and the journeys due since then: the schedule catches up after a late tick. */
  #since = 0;
  #startedSince = 0;

  constructor(options: LoadGeneratorOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#rps = options.rps;
    this.#mix = options.mix;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer) return;
    this.#abort = new AbortController();
    this.#restartSchedule();
    this.#timer = setInterval(() => this.#tick(), this.#options.tickMs ?? 20);
    this.#timer.unref();
  }

  /** Starts nothing more and cancels the journeys under way. */
  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  set(settings: LoadSettings): void {
    if (settings.mix) this.#mix = settings.mix;
    if (settings.rps !== undefined && settings.rps !== this.#rps) {
      this.#rps = settings.rps;
      this.#restartSchedule();
    }
  }

  /** `GET /admin/load`'s answer. */
  report() {
    return {
      rps: this.#rps,
      mix: formatMix(this.#mix),
      ...this.#stats.snapshot(),
      inFlight: this.#inFlight,
      maxInFlight: this.#options.maxInFlight,
    };
  }

  #restartSchedule(): void {
    this.#since = performance.now();
    this.#startedSince = 0;
  }

  #tick(): void {
    const due = Math.floor(((performance.now() - this.#since) * this.#rps) / 1_000);
    for (; this.#startedSince < due; this.#startedSince += 1) {
      if (this.#inFlight >= this.#options.maxInFlight) this.#stats.skipped();
      else void this.#run(pickJourney(this.#mix, this.#random()));
    }
  }

  async #run(kind: JourneyKind): Promise<void> {
    const context: JourneyContext = {
      storefront: this.#options.storefront,
      userId: `load-${1 + Math.floor(this.#random() * this.#options.users)}`,
      knownSkus: this.#knownSkus,
      random: this.#random,
      signal: this.#abort.signal,
      timeoutMs: this.#options.requestTimeoutMs ?? 10_000,
    };
    this.#inFlight += 1;
    this.#stats.sent(kind);
    try {
      await JOURNEYS[kind](context);
      this.#stats.succeeded(kind);
      this.#options.onJourneyEnd?.(kind, 'ok');
    } catch (error) {
      const failure =
        error instanceof JourneyFailure ? error : new JourneyFailure(null, String(error));
      this.#stats.failed(kind, failure.status, failure.message);
      this.#options.onJourneyEnd?.(kind, 'failed');
    } finally {
      this.#inFlight -= 1;
    }
  }
}

export type LoadReport = ReturnType<LoadGenerator['report']>;
