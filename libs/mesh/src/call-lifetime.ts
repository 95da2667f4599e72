import { DeadlineExceededError } from './deadline/deadline.js';
import { RequestAbortedError } from './errors.js';

/** Something a call stops when it is aborted: an attempt in flight, or a pause. */
export interface Abortable {
  abort(reason: unknown): void;
}

/**
 * The life of one call: aborted when its deadline passes or its caller gives up, with the reason
 * as the error. Attempts and pauses register here rather than on an AbortSignal, which Node makes
 * costly per call; a real signal is made only for a wait that needs one. Disposed when the call
 * ends, so no timer outlives it (a deadline may be shared by many calls).
 */
export class CallLifetime {
  #aborted = false;
  #reason: unknown = undefined;
  // One watcher in the common case; a set only for hedges and pauses (no per-call array literal).
  #watcher: Abortable | undefined;
  #moreWatchers: Set<Abortable> | undefined;
  #controller: AbortController | undefined;
  #onCallerAbort: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout;

  /** `remainingMs` is the deadline's time left now. */
  constructor(
    upstream: string,
    remainingMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    // A closure, not setTimeout's extra arguments: those go in an array that lives as long as the call.
    this.#timer = setTimeout(
      () => this.abort(new DeadlineExceededError(upstream)),
      Math.max(0, remainingMs),
    );
    this.#timer.unref();
    if (!callerSignal) return;
    // The mesh's own error, with the caller's reason as its cause: a body being read gets it too.
    if (callerSignal.aborted) {
      this.abort(new RequestAbortedError(upstream, callerSignal.reason));
      return;
    }
    this.#onCallerAbort = () => this.abort(new RequestAbortedError(upstream, callerSignal.reason));
    callerSignal.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** An AbortSignal that follows this call, for waits that take one (made on first use). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    clearTimeout(this.#timer);
    const watcher = this.#watcher;
    const more = this.#moreWatchers;
    this.#watcher = undefined;
    this.#moreWatchers = undefined;
    watcher?.abort(reason);
    if (more) for (const other of more) other.abort(reason);
    this.#controller?.abort(reason);
  }

  /** Aborts `watcher` with the call; an aborted call aborts it at once. */
  watch(watcher: Abortable): void {
    if (this.#aborted) {
      watcher.abort(this.#reason);
      return;
    }
    if (this.#watcher === undefined) this.#watcher = watcher;
    else (this.#moreWatchers ??= new Set()).add(watcher);
  }

  unwatch(watcher: Abortable): void {
    if (this.#watcher === watcher) this.#watcher = undefined;
    else this.#moreWatchers?.delete(watcher);
  }

  /** Resolves after `ms`, or rejects with the abort reason if the call is aborted first. */
  sleep(ms: number): Promise<void> {
    if (this.#aborted) return Promise.reject(this.#reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.watch(new Pause(this, ms, resolve, reject)));
  }

  /** Ends the call's claims: its deadline timer and its listener on the caller's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#watcher = undefined;
    this.#moreWatchers = undefined;
    if (this.#onCallerAbort) this.callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}

class Pause implements Abortable {
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly call: CallLifetime,
    ms: number,
    private readonly resolve: () => void,
    private readonly reject: (reason: unknown) => void,
  ) {
    this.#timer = setTimeout(() => this.end(), ms);
  }

  end(): void {
    this.call.unwatch(this);
    this.resolve();
  }

  abort(reason: unknown): void {
    clearTimeout(this.#timer);
    this.reject(reason);
  }
}
