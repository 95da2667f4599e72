import type { Clock } from '../clock.js';
import { MeshConfigError } from '../errors.js';

export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of first attempts in the window (0.2 = one retry per five). */
  percent?: number;
  /** Retries always allowed per second, so a quiet upstream can still retry a burst of failures. */
  minRetriesPerSecond?: number;
  /** Length of the sliding window the counts cover. */
  windowMs?: number;
}

/** Counts over the current sliding window. */
export interface RetryBudgetStats {
  /** First attempts recorded. */
  requests: number;
  /** Retries and hedges allowed. */
  retries: number;
  /** Retries and hedges refused because the budget was spent. */
  refused: number;
  /** Retries that would be allowed right now. */
  available: number;
}

export const DEFAULT_RETRY_BUDGET_OPTIONS: Readonly<Required<RetryBudgetOptions>> = {
  percent: 0.2,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
};

const BUCKET_COUNT = 10;

/**
 * Caps retries and hedges at a share of real traffic plus a small floor, over a sliding window,
 * so a failing upstream sees at most (1 + percent) times its normal load instead of a retry storm.
 * Every first attempt calls `recordRequest`; every retry or hedge asks `tryWithdraw` first.
 */
export class RetryBudget {
  readonly #percent: number;
  readonly #floor: number;
  readonly #bucketMs: number;
  readonly #clock: Clock;
  /** Which bucket number (time / bucketMs) each slot currently holds. */
  readonly #slotBucket = new Float64Array(BUCKET_COUNT).fill(-Infinity);
  readonly #requests = new Float64Array(BUCKET_COUNT);
  readonly #retries = new Float64Array(BUCKET_COUNT);
  readonly #refused = new Float64Array(BUCKET_COUNT);
  #latestBucket = -Infinity;

  constructor(options: RetryBudgetOptions, clock: Clock) {
    const { percent, minRetriesPerSecond, windowMs } = validateRetryBudgetOptions(options);
    this.#percent = percent;
    this.#floor = (minRetriesPerSecond * windowMs) / 1000;
    this.#bucketMs = windowMs / BUCKET_COUNT;
    this.#clock = clock;
  }

  /** `now` is a reading of the budget's clock the caller already took. */
  recordRequest(now?: number): void {
    this.#requests[this.#currentSlot(now)] += 1;
  }

  /** Takes one retry from the budget; false (and counted as refused) when it is spent. */
  tryWithdraw(): boolean {
    const slot = this.#currentSlot();
    const totals = this.#totals();
    if (totals.retries + 1 > this.#allowed(totals.requests)) {
      this.#refused[slot] += 1;
      return false;
    }
    this.#retries[slot] += 1;
    return true;
  }

  get stats(): RetryBudgetStats {
    this.#currentSlot();
    const { requests, retries, refused } = this.#totals();
    const available = Math.max(0, Math.floor(this.#allowed(requests) - retries));
    return { requests, retries, refused, available };
  }

  #allowed(requests: number): number {
    return this.#percent * requests + this.#floor;
  }

  /** Rotates the ring to the current time, clearing slots that fell out of the window. */
  #currentSlot(now: number = this.#clock()): number {
    // Never move backwards: a clock that steps back keeps writing into the newest bucket.
    const bucket = Math.max(this.#latestBucket, Math.floor(now / this.#bucketMs));
    this.#latestBucket = bucket;
    const slot = ((bucket % BUCKET_COUNT) + BUCKET_COUNT) % BUCKET_COUNT;
    if (this.#slotBucket[slot] !== bucket) {
      this.#slotBucket[slot] = bucket;
      this.#requests[slot] = 0;
      this.#retries[slot] = 0;
      this.#refused[slot] = 0;
    }
    return slot;
  }

  #totals(): { requests: number; retries: number; refused: number } {
    const oldest = this.#latestBucket - BUCKET_COUNT + 1;
    let requests = 0;
    let retries = 0;
    let refused = 0;
    for (let slot = 0; slot < BUCKET_COUNT; slot++) {
      if (this.#slotBucket[slot] < oldest) continue;
      requests += this.#requests[slot];
      retries += this.#retries[slot];
      refused += this.#refused[slot];
    }
    return { requests, retries, refused };
  }
}

/** Fills in defaults and rejects values that cannot describe a budget. */
export function validateRetryBudgetOptions(
  options: RetryBudgetOptions,
): Required<RetryBudgetOptions> {
  const resolved = { ...DEFAULT_RETRY_BUDGET_OPTIONS, ...definedOnly(options) };
  check(
    'percent',
    resolved.percent,
    (v) => v >= 0 && v <= 10,
    'a number from 0 to 10 (0.2 allows one retry per five requests)',
  );
  check('minRetriesPerSecond', resolved.minRetriesPerSecond, (v) => v >= 0, 'a number >= 0');
  check('windowMs', resolved.windowMs, (v) => v >= 100, 'a number of milliseconds >= 100');
  return resolved;
}

function definedOnly(options: RetryBudgetOptions): RetryBudgetOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as RetryBudgetOptions;
}

function check(
  name: keyof RetryBudgetOptions,
  value: unknown,
  isValid: (value: number) => boolean,
  expected: string,
): void {
  if (typeof value === 'number' && Number.isFinite(value) && isValid(value)) return;
  throw new MeshConfigError(
    'ERR_INVALID_RETRY_OPTIONS',
    `Invalid retry budget option "${name}": ${String(value)}`,
    { advice: `pass ${name} as ${expected}, or leave it out for the default` },
  );
}
