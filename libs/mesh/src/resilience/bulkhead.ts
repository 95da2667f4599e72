import { MeshConfigError } from '../errors.js';

/**
 * A cap on requests in flight to one upstream, so a slow dependency holds at most this many
 * sockets and callers fail fast instead of queueing without bound.
 */
export class Bulkhead {
  readonly maxConcurrent: number;
  #inFlight = 0;

  constructor(maxConcurrent: number) {
    const valid =
      maxConcurrent === Infinity || (Number.isSafeInteger(maxConcurrent) && maxConcurrent > 0);
    if (!valid) {
      throw new MeshConfigError(
        'ERR_INVALID_BULKHEAD_OPTIONS',
        `Invalid bulkhead maxConcurrent: ${String(maxConcurrent)}`,
        { advice: 'pass maxConcurrent as a positive integer, or Infinity for no limit' },
      );
    }
    this.maxConcurrent = maxConcurrent;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a slot; false when all are taken. Every true must be paired with one `release`. */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.maxConcurrent) return false;
    this.#inFlight += 1;
    return true;
  }

  release(): void {
    // An extra release (a double-settled request) must not open more slots than configured.
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}
