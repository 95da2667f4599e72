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

/** The action opossum runs: the call itself, whose rejection counts as a failure. */
function runTheCall(call: () => Promise<unknown>): Promise<unknown> {
  return call();
}

/**
 * The per-upstream circuit breaker, on opossum. Its own timeout is off: the call's deadline owns
 * time. Calls the caller gave up on, and calls refused before sending, do not count.
 */
export class UpstreamBreaker {
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
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
    this.#breaker = new CircuitBreaker(runTheCall, {
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
   * Runs the call through the breaker: a rejection counts as a failure unless it is neutral (a
   * FailedAnswer carries a 5xx answer so that it counts). An open breaker rejects without calling;
   * `refusal` turns that rejection into the error the caller gets.
   */
  fire<T>(call: () => Promise<T>): Promise<T> {
    return this.#breaker.fire(call) as Promise<T>;
  }

  /** The error a rejected `fire` ends the call with: CircuitOpenError when the breaker refused it. */
  refusal(error: unknown): unknown {
    if ((error as { code?: unknown } | null | undefined)?.code !== 'EOPENBREAKER') return error;
    const retryAfterMs = Math.max(0, this.#openedAt + this.#resetTimeoutMs - Date.now());
    return new CircuitOpenError(this.upstream, retryAfterMs);
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
