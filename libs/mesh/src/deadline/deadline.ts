import { AsyncLocalStorage } from 'node:async_hooks';
import { monotonicClock, type Clock } from '../clock.js';
import { MeshConfigError, MeshError } from '../errors.js';

/** Remaining budget in whole milliseconds, sent on every outbound attempt and read by servers. */
export const DEADLINE_HEADER = 'x-trellis-deadline-ms';

/** No request legitimately needs a day; a larger budget is a bug or an attack. */
export const MAX_DEADLINE_MS = 24 * 60 * 60 * 1000;

/** setTimeout fires at once for delays above a signed 32-bit integer, so longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The request's time ran out somewhere in the chain of calls; retrying cannot help, the budget is spent. */
export class DeadlineExceededError extends MeshError {
  constructor(upstream?: string, detail = 'the request deadline has passed') {
    super('ERR_DEADLINE_EXCEEDED', `Deadline exceeded: ${detail}`, {
      upstream,
      advice:
        'raise the timeout at the edge, where the deadline is first set, or make the chain of calls behind it faster; retrying will not help because the time budget is already spent',
    });
  }
}

/** The point in time by which a request must be answered; one per request, shared by every call it makes. */
export class Deadline {
  /** On the scale of `clock`; only comparable with deadlines built on the same clock. */
  readonly expiresAt: number;
  readonly #clock: Clock;
  #signal: AbortSignal | undefined;

  private constructor(expiresAt: number, clock: Clock) {
    this.expiresAt = expiresAt;
    this.#clock = clock;
  }

  /**
   * A deadline `ms` from now; zero or negative gives one that has already expired. `now` is a
   * reading of `clock` the caller already took: each reading costs hundreds of instructions.
   */
  static after(ms: number, clock: Clock = monotonicClock, now: number = clock()): Deadline {
    if (!Number.isFinite(ms)) {
      throw new MeshConfigError('ERR_INVALID_DEADLINE', `Invalid deadline budget ${String(ms)}`, {
        advice: `pass a finite number of milliseconds, at most ${MAX_DEADLINE_MS}`,
      });
    }
    return new Deadline(now + ms, clock);
  }

  /** Time left; `now` is a reading of the deadline's clock the caller already took. */
  remainingMs(now: number = this.#clock()): number {
    return this.expiresAt - now;
  }

  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** An AbortSignal that aborts (reason: DeadlineExceededError) when the deadline passes; created lazily, timer unref'ed. */
  signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    if (this.expired) {
      this.#signal = AbortSignal.abort(new DeadlineExceededError());
      return this.#signal;
    }
    const controller = new AbortController();
    this.#signal = controller.signal;
    this.#abortAtExpiry(controller);
    return this.#signal;
  }

  /** The earlier of this and another deadline. */
  min(other: Deadline | undefined): Deadline {
    return other !== undefined && other.expiresAt < this.expiresAt ? other : this;
  }

  #abortAtExpiry(controller: AbortController): void {
    const remaining = this.remainingMs();
    if (remaining <= 0) {
      controller.abort(new DeadlineExceededError());
      return;
    }
    // Timers and the clock can disagree by a fraction of a millisecond, so the clock decides and the timer re-arms.
    const timer = setTimeout(
      () => this.#abortAtExpiry(controller),
      Math.min(Math.max(1, Math.ceil(remaining)), MAX_TIMER_MS),
    );
    // The deadline bounds work in flight; on its own it must not keep the process alive.
    timer.unref();
  }
}

const currentDeadlineStorage = new AsyncLocalStorage<Deadline>();

/** Runs fn with `deadline` as the current deadline (AsyncLocalStorage); nested calls keep the earlier one. */
export function withDeadline<T>(deadline: Deadline, fn: () => T): T {
  return currentDeadlineStorage.run(deadline.min(currentDeadlineStorage.getStore()), fn);
}

/** The deadline of the request being handled, if any; carried across awaits, timers and promise chains. */
export function currentDeadline(): Deadline | undefined {
  return currentDeadlineStorage.getStore();
}

export type DeadlineHeaderResult =
  | { kind: 'absent' }
  | { kind: 'valid'; deadline: Deadline }
  | { kind: 'expired' }
  | { kind: 'invalid'; reason: string };

const WHOLE_MILLISECONDS = /^[0-9]+$/;

/** Long enough to recognise the value, short enough that a hostile header does not fill a 400 body. */
const MAX_QUOTED_LENGTH = 64;

function quote(value: string): string {
  return JSON.stringify(
    value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}...` : value,
  );
}

/** Parses an inbound header value (string | string[] | undefined, as node gives it). */
export function parseDeadlineHeader(
  value: string | string[] | undefined,
  clock: Clock = monotonicClock,
): DeadlineHeaderResult {
  if (value === undefined) return { kind: 'absent' };
  // Node joins a repeated header into one comma-separated string; `headersDistinct` gives an array.
  const values = (Array.isArray(value) ? value : [value]).flatMap((item) =>
    item.split(',').map((part) => part.trim()),
  );
  if (values.length === 0) return { kind: 'absent' };
  const distinct = [...new Set(values)];
  if (distinct.length > 1) {
    return {
      kind: 'invalid',
      reason: `${DEADLINE_HEADER} must be sent once, got differing values ${distinct.slice(0, 4).map(quote).join(', ')}`,
    };
  }
  const text = distinct[0] as string;
  const budgetMs = WHOLE_MILLISECONDS.test(text) ? Number(text) : Number.NaN;
  if (!(budgetMs <= MAX_DEADLINE_MS)) {
    return {
      kind: 'invalid',
      reason: `${DEADLINE_HEADER} must be whole milliseconds between 0 and ${MAX_DEADLINE_MS}, got ${quote(text)}`,
    };
  }
  if (budgetMs === 0) return { kind: 'expired' };
  return { kind: 'valid', deadline: Deadline.after(budgetMs, clock) };
}

/** The remaining budget for an outbound request: relative, so clock skew between machines does not matter; capped at MAX_DEADLINE_MS so servers accept it. */
export function formatDeadlineHeader(deadline: Deadline, now?: number): string {
  const remaining = Math.floor(deadline.remainingMs(now));
  return String(Math.min(Math.max(0, remaining), MAX_DEADLINE_MS));
}
