import type { RandomSource } from '../clock.js';
import { MeshConfigError } from '../errors.js';

export interface BackoffOptions {
  /** Cap of the wait before the first retry. */
  baseMs?: number;
  /** Cap of the wait before any retry, however many came before. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF_OPTIONS: Readonly<Required<BackoffOptions>> = {
  baseMs: 25,
  maxMs: 1_000,
};

/**
 * How long to wait before retry number `attempt` (1 for the first retry): uniformly random up to
 * an exponentially growing cap, so clients that failed together do not retry together.
 */
export function fullJitterBackoff(
  attempt: number,
  options: Required<BackoffOptions>,
  random: RandomSource,
): number {
  const exponent = attempt > 1 ? attempt - 1 : 0;
  // 2 ** exponent overflows to Infinity for huge attempts: min() caps that, but 0 * Infinity is NaN.
  const cap = options.baseMs === 0 ? 0 : Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return random() * cap;
}

/** Fills in defaults and rejects values that cannot describe a wait. */
export function resolveBackoffOptions(options: BackoffOptions = {}): Required<BackoffOptions> {
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF_OPTIONS.baseMs;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF_OPTIONS.maxMs;
  for (const [name, value] of [
    ['baseMs', baseMs],
    ['maxMs', maxMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidBackoff(`Invalid backoff option "${name}": ${String(value)}`, name);
    }
  }
  if (maxMs < baseMs) {
    throw invalidBackoff(`Backoff maxMs (${maxMs}) is below baseMs (${baseMs})`, 'maxMs');
  }
  return { baseMs, maxMs };
}

function invalidBackoff(message: string, name: keyof BackoffOptions): MeshConfigError {
  return new MeshConfigError('ERR_INVALID_RETRY_OPTIONS', message, {
    advice: `pass ${name} as a number of milliseconds >= 0, with maxMs >= baseMs, or leave it out for the default`,
  });
}
