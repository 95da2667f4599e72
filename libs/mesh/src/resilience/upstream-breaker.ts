import CircuitBreaker from 'opossum';
import { CircuitOpenError, MeshConfigError } from '../errors.js';

export interface BreakerOptions {
  /** Open when at least this share (%) of calls in the rolling window failed. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls the window must hold before the breaker may open. Default 20. */
  volumeThreshold?: number;
  /** Length of the rolling window, in ms. Default 10 000. */
  rollingWindowMs?: number;
  /** How long the breaker stays open before letting one trial call through, in ms. Default 5 000. */
  resetTimeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** opossum's event words, kept so users see the vocabulary they already know. */
export type BreakerEvent = 'open' | 'halfOpen' | 'close' | 'reject';

/** Carries a failed final response through the breaker so it counts, and hands it back after. */
class FailedResponse<T> extends Error {
  constructor(readonly response: T) {
    super('upstream answered with a failure status');
  }
}

/** The action opossum runs: the call, with a value judged a failure thrown so that it counts. */
function callAndJudge(
  call: () => Promise<unknown>,
  failed?: (value: unknown) => boolean,
): Promise<unknown> {
  if (!failed) return call();
  return call().then((value) =>
    failed(value) ? Promise.reject(new FailedResponse(value)) : value,
  );
}

/**
 * The per-upstream circuit breaker, on opossum. Its own timeout is off: the call's deadline owns
 * time. Calls the caller gave up on, and calls refused before sending, do not count.
 */
export class UpstreamBreaker {
  readonly #breaker: CircuitBreaker<
    [() => Promise<unknown>, ((value: unknown) => boolean)?],
    unknown
  >;
  readonly #resetTimeoutMs: number;
  #openedAt = 0;

  constructor(
    private readonly upstream: string,
    options: BreakerOptions,
    isNeutral: (error: unknown) => boolean,
    onEvent: (event: BreakerEvent) => void,
  ) {
    const resolved = validate(upstream, options);
    this.#resetTimeoutMs = resolved.resetTimeoutMs;
    this.#breaker = new CircuitBreaker(callAndJudge, {
      timeout: false,
      errorThresholdPercentage: resolved.errorThresholdPercentage,
      volumeThreshold: resolved.volumeThreshold,
      rollingCountTimeout: resolved.rollingWindowMs,
      rollingCountBuckets: 10,
      resetTimeout: resolved.resetTimeoutMs,
      errorFilter: (error: unknown) => isNeutral(error),
      // Latency percentiles and periodic snapshots cost time on every call and nothing reads them.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.#breaker.on('open', () => {
      this.#openedAt = Date.now();
      onEvent('open');
    });
    this.#breaker.on('halfOpen', () => onEvent('halfOpen'));
    this.#breaker.on('close', () => onEvent('close'));
    this.#breaker.on('reject', () => onEvent('reject'));
  }

  get state(): BreakerState {
    if (this.#breaker.opened) return 'open';
    if (this.#breaker.halfOpen) return 'halfOpen';
    return 'closed';
  }

  /**
   * Runs the call through the breaker; an open breaker throws CircuitOpenError without calling.
   * A value `failed` calls a failure counts as one, yet still reaches the caller (a 5xx answer).
   */
  async run<T>(call: () => Promise<T>, failed?: (value: T) => boolean): Promise<T> {
    try {
      return (await this.#breaker.fire(
        call,
        failed as ((value: unknown) => boolean) | undefined,
      )) as T;
    } catch (error) {
      if (error instanceof FailedResponse) return error.response as T;
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        const retryAfterMs = Math.max(0, this.#openedAt + this.#resetTimeoutMs - Date.now());
        throw new CircuitOpenError(this.upstream, retryAfterMs);
      }
      throw error;
    }
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}

function validate(upstream: string, options: BreakerOptions): Required<BreakerOptions> {
  const resolved = {
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    volumeThreshold: options.volumeThreshold ?? 20,
    rollingWindowMs: options.rollingWindowMs ?? 10_000,
    resetTimeoutMs: options.resetTimeoutMs ?? 5_000,
  };
  const rules: [keyof BreakerOptions, (value: number) => boolean, string][] = [
    ['errorThresholdPercentage', (v) => v > 0 && v <= 100, 'a percentage above 0 and at most 100'],
    ['volumeThreshold', (v) => Number.isInteger(v) && v >= 0, 'a whole number >= 0'],
    ['rollingWindowMs', (v) => v >= 100, 'at least 100 ms'],
    ['resetTimeoutMs', (v) => v > 0, 'a positive number of ms'],
  ];
  for (const [key, valid, allowed] of rules) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
      throw new MeshConfigError(
        'ERR_INVALID_BREAKER_OPTIONS',
        `breaker.${key} is ${JSON.stringify(value)}`,
        {
          upstream,
          advice: `set breaker.${key} to ${allowed}`,
        },
      );
    }
  }
  return resolved;
}
