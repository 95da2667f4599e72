import type { Clock } from '../clock.js';
import { MeshConfigError } from '../errors.js';

export interface SuccessRateOptions {
  /** Endpoints with enough requests needed before the sweep judges any of them; default 5. */
  minimumHosts?: number;
  /** Requests an endpoint needs in one interval to be judged; default 100. */
  requestVolume?: number;
  /** Ejects endpoints whose success rate is below mean - stdevFactor x stdev; default 1.9. */
  stdevFactor?: number;
}

export interface OutlierDetectionOptions {
  /** Consecutive endpoint-attributable failures that eject; default 5, 0 disables. */
  consecutiveFailures?: number;
  /** Ejection time is baseEjectionMs x times ejected; default 30_000. */
  baseEjectionMs?: number;
  /** Cap on one ejection's time; default 300_000. */
  maxEjectionMs?: number;
  /** At most this share of endpoints is ejected at once, but always at least one; default 10. */
  maxEjectionPercent?: number;
  /** Success-rate ejection at each sweep; `false` disables it. */
  successRate?: false | SuccessRateOptions;
  /** How often the owner calls `sweep()`: success-rate window and backoff decay; default 10_000. */
  intervalMs?: number;
}

export type EjectionReason = 'consecutive-failures' | 'success-rate' | 'active-check';

export interface OutlierEvents {
  onEject?(key: string, reason: EjectionReason, durationMs: number): void;
  onUneject?(key: string): void;
}

export interface OutlierSnapshot {
  ejected: boolean;
  /** Ejection backoff multiplier: +1 per ejection, -1 per healthy interval. */
  timesEjected: number;
  ejectedUntil: number | undefined;
  consecutiveFailures: number;
  /** Share of successful requests (0..1) in the current interval; undefined before any. */
  successRate: number | undefined;
}

export const DEFAULT_PANIC_THRESHOLD_PERCENT = 50;

const INVALID_OUTLIER_OPTIONS = 'ERR_INVALID_OUTLIER_OPTIONS';
/** Float error in mean and stdev must not eject endpoints whose rates are all equal. */
const RATE_EPSILON = 1e-9;

interface ResolvedOptions {
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
  successRate: Required<SuccessRateOptions> | false;
  intervalMs: number;
}

interface OutlierState {
  consecutiveFailures: number;
  timesEjected: number;
  ejectedUntil: number | undefined;
  lastUnejectedAt: number | undefined;
  intervalSuccesses: number;
  intervalFailures: number;
}

/**
 * Passive outlier detection in the manner of Envoy: endpoints that fail in a row, or whose
 * success rate falls far below their peers', are ejected for a time that grows with each
 * ejection. It keeps no timers: un-ejection happens lazily, and the owner calls `sweep()`.
 */
export class OutlierDetector {
  readonly #options: ResolvedOptions;
  readonly #states = new Map<string, OutlierState>();

  constructor(
    options: OutlierDetectionOptions,
    private readonly clock: Clock,
    private readonly events: OutlierEvents = {},
  ) {
    this.#options = resolveOutlierOptions(options);
  }

  /** How often the owner should call `sweep()`. */
  get intervalMs(): number {
    return this.#options.intervalMs;
  }

  /** Keys of every endpoint currently in the set; forget the others. */
  setEndpoints(keys: readonly string[]): void {
    const next = new Set(keys);
    for (const key of [...this.#states.keys()]) {
      if (!next.has(key)) this.#states.delete(key);
    }
    for (const key of next) {
      if (!this.#states.has(key)) this.#states.set(key, newState());
    }
  }

  /** Results for keys outside the set (late answers from removed endpoints) are ignored. */
  recordSuccess(key: string): void {
    const state = this.#current(key);
    if (!state || state.ejectedUntil !== undefined) return;
    state.consecutiveFailures = 0;
    state.intervalSuccesses += 1;
  }

  /** An endpoint-attributable failure: connect error, reset, timeout, 5xx. */
  recordFailure(key: string): void {
    const state = this.#current(key);
    if (!state || state.ejectedUntil !== undefined) return;
    state.intervalFailures += 1;
    state.consecutiveFailures += 1;
    const threshold = this.#options.consecutiveFailures;
    if (threshold > 0 && state.consecutiveFailures >= threshold) {
      this.#tryEject(key, state, 'consecutive-failures');
    }
  }

  /**
   * Ejects now for an external reason (active checks), honouring maxEjectionPercent.
   * Returns whether the endpoint is ejected afterwards (true if it already was).
   */
  eject(key: string, reason: EjectionReason): boolean {
    const state = this.#current(key);
    if (!state) return false;
    if (state.ejectedUntil !== undefined) return true;
    return this.#tryEject(key, state, reason);
  }

  /** Also un-ejects lazily when the ejection time has passed. */
  isEjected(key: string): boolean {
    return this.#current(key)?.ejectedUntil !== undefined;
  }

  /** Runs the success-rate sweep and un-ejects expired ejections; call it every intervalMs. */
  sweep(): void {
    const now = this.clock();
    this.#unejectExpired(now);
    for (const state of this.#states.values()) {
      if (
        state.ejectedUntil === undefined &&
        state.timesEjected > 0 &&
        (state.lastUnejectedAt === undefined ||
          now - state.lastUnejectedAt >= this.#options.intervalMs)
      ) {
        state.timesEjected -= 1;
      }
    }
    if (this.#options.successRate) this.#ejectSuccessRateOutliers(this.#options.successRate);
    for (const state of this.#states.values()) {
      state.intervalSuccesses = 0;
      state.intervalFailures = 0;
    }
  }

  /** Endpoints ejected right now (expired ejections are lifted first). */
  get ejectedCount(): number {
    this.#unejectExpired(this.clock());
    return this.#countEjected();
  }

  snapshot(key: string): OutlierSnapshot | undefined {
    const state = this.#current(key);
    if (!state) return undefined;
    const requests = state.intervalSuccesses + state.intervalFailures;
    return {
      ejected: state.ejectedUntil !== undefined,
      timesEjected: state.timesEjected,
      ejectedUntil: state.ejectedUntil,
      consecutiveFailures: state.consecutiveFailures,
      successRate: requests > 0 ? state.intervalSuccesses / requests : undefined,
    };
  }

  /** The state for a key, with an expired ejection lifted. */
  #current(key: string): OutlierState | undefined {
    const state = this.#states.get(key);
    if (state?.ejectedUntil === undefined) return state;
    const now = this.clock();
    if (now >= state.ejectedUntil) this.#uneject(key, state, now);
    return state;
  }

  #ejectSuccessRateOutliers(options: Required<SuccessRateOptions>): void {
    const judged: Array<{ key: string; state: OutlierState; rate: number }> = [];
    for (const [key, state] of this.#states) {
      const requests = state.intervalSuccesses + state.intervalFailures;
      if (state.ejectedUntil === undefined && requests >= options.requestVolume) {
        judged.push({ key, state, rate: state.intervalSuccesses / requests });
      }
    }
    if (judged.length < options.minimumHosts) return;
    const mean = judged.reduce((sum, { rate }) => sum + rate, 0) / judged.length;
    const variance = judged.reduce((sum, { rate }) => sum + (rate - mean) ** 2, 0) / judged.length;
    const threshold = mean - options.stdevFactor * Math.sqrt(variance);
    // Worst first, so the ejection cap keeps the worst ones out.
    judged.sort((a, b) => a.rate - b.rate);
    for (const { key, state, rate } of judged) {
      if (rate < threshold - RATE_EPSILON) this.#tryEject(key, state, 'success-rate');
    }
  }

  #tryEject(key: string, state: OutlierState, reason: EjectionReason): boolean {
    const now = this.clock();
    this.#unejectExpired(now);
    state.consecutiveFailures = 0;
    if (this.#countEjected() >= this.#maxEjected()) return false;
    const { baseEjectionMs, maxEjectionMs } = this.#options;
    // Past this count the duration is capped anyway; a lower ceiling lets decay work in time.
    const backoffCeiling = Math.ceil(maxEjectionMs / baseEjectionMs);
    state.timesEjected = Math.min(state.timesEjected + 1, backoffCeiling);
    const durationMs = Math.min(baseEjectionMs * state.timesEjected, maxEjectionMs);
    state.ejectedUntil = now + durationMs;
    this.events.onEject?.(key, reason, durationMs);
    return true;
  }

  #maxEjected(): number {
    return Math.max(1, Math.floor((this.#states.size * this.#options.maxEjectionPercent) / 100));
  }

  #countEjected(): number {
    let count = 0;
    for (const state of this.#states.values()) {
      if (state.ejectedUntil !== undefined) count += 1;
    }
    return count;
  }

  #unejectExpired(now: number): void {
    for (const [key, state] of this.#states) {
      if (state.ejectedUntil !== undefined && now >= state.ejectedUntil) {
        this.#uneject(key, state, now);
      }
    }
  }

  #uneject(key: string, state: OutlierState, now: number): void {
    state.ejectedUntil = undefined;
    state.lastUnejectedAt = now;
    state.consecutiveFailures = 0;
    state.intervalSuccesses = 0;
    state.intervalFailures = 0;
    this.events.onUneject?.(key);
  }
}

/**
 * Envoy's panic mode: when too few endpoints are healthy, spreading load over all of them beats
 * piling it onto the few that are left.
 */
export function panicEligible<T>(
  healthy: readonly T[],
  all: readonly T[],
  panicThresholdPercent: number,
): { eligible: readonly T[]; panic: boolean } {
  if (healthy.length < (all.length * panicThresholdPercent) / 100) {
    return { eligible: all, panic: true };
  }
  return { eligible: healthy, panic: false };
}

/** Checks a panic threshold once, where configuration is read, rather than per request. */
export function validatePanicThresholdPercent(value: unknown): number {
  if (value === undefined) return DEFAULT_PANIC_THRESHOLD_PERCENT;
  return requireRange(
    'panicThresholdPercent',
    value,
    0,
    100,
    'a number from 0 to 100 (0 disables panic mode)',
  );
}

function newState(): OutlierState {
  return {
    consecutiveFailures: 0,
    timesEjected: 0,
    ejectedUntil: undefined,
    lastUnejectedAt: undefined,
    intervalSuccesses: 0,
    intervalFailures: 0,
  };
}

function resolveOutlierOptions(options: OutlierDetectionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOptions(
      `Outlier detection options must be an object, got ${describe(options)}`,
      'pass an object such as { consecutiveFailures: 5 }, or {} for the defaults',
    );
  }
  const consecutiveFailures = integerAtLeast(
    'consecutiveFailures',
    options.consecutiveFailures,
    5,
    0,
    'an integer >= 0 (0 disables consecutive-failure ejection)',
  );
  const baseEjectionMs = positive('baseEjectionMs', options.baseEjectionMs, 30_000);
  const maxEjectionMs = positive('maxEjectionMs', options.maxEjectionMs, 300_000);
  if (maxEjectionMs < baseEjectionMs) {
    throw invalidOptions(
      `maxEjectionMs (${maxEjectionMs}) is below baseEjectionMs (${baseEjectionMs})`,
      'set maxEjectionMs to at least baseEjectionMs: it caps the growing ejection time',
    );
  }
  const maxEjectionPercent =
    options.maxEjectionPercent === undefined
      ? 10
      : requireRange(
          'maxEjectionPercent',
          options.maxEjectionPercent,
          0,
          100,
          'a number from 0 to 100 (at least one endpoint can always be ejected)',
        );
  const intervalMs = positive('intervalMs', options.intervalMs, 10_000);
  return {
    consecutiveFailures,
    baseEjectionMs,
    maxEjectionMs,
    maxEjectionPercent,
    successRate: resolveSuccessRate(options.successRate),
    intervalMs,
  };
}

function resolveSuccessRate(
  value: OutlierDetectionOptions['successRate'],
): Required<SuccessRateOptions> | false {
  if (value === false) return false;
  if (value === undefined) return { minimumHosts: 5, requestVolume: 100, stdevFactor: 1.9 };
  if (typeof value !== 'object' || value === null) {
    throw invalidOptions(
      `successRate must be false or an object, got ${describe(value)}`,
      'pass false to disable success-rate ejection, or { minimumHosts, requestVolume, stdevFactor }',
    );
  }
  return {
    minimumHosts: integerAtLeast(
      'successRate.minimumHosts',
      value.minimumHosts,
      5,
      1,
      'an integer >= 1',
    ),
    requestVolume: integerAtLeast(
      'successRate.requestVolume',
      value.requestVolume,
      100,
      1,
      'an integer >= 1',
    ),
    stdevFactor: positive('successRate.stdevFactor', value.stdevFactor, 1.9),
  };
}

function integerAtLeast(
  name: string,
  value: unknown,
  fallback: number,
  minimum: number,
  allowed: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw invalidOptions(
      `${name} must be ${allowed}, got ${describe(value)}`,
      `set ${name} to ${allowed}`,
    );
  }
  return value;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOptions(
      `${name} must be a finite number > 0, got ${describe(value)}`,
      `set ${name} to a finite number > 0, or leave it out for the default ${fallback}`,
    );
  }
  return value;
}

function requireRange(
  name: string,
  value: unknown,
  minimum: number,
  maximum: number,
  allowed: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw invalidOptions(
      `${name} must be ${allowed}, got ${describe(value)}`,
      `set ${name} to ${allowed}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'number' || value === null || value === undefined
    ? String(value)
    : `${typeof value} ${JSON.stringify(value)}`;
}

function invalidOptions(message: string, advice: string): MeshConfigError {
  return new MeshConfigError(INVALID_OUTLIER_OPTIONS, message, { advice });
}
