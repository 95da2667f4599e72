import type { IncomingHttpHeaders } from 'node:http';
import { Dispatcher, type Pool } from 'undici';

/** What an attempt learns from the transport about its own request. */
export interface AttemptTransportHooks {
  /** The request is about to be written; `controller` aborts it from now on. */
  requestStarted(controller: Dispatcher.DispatchController): void;
  /**
   * The response's last byte arrived, or the request or its response failed or was aborted; may
   * come more than once, only the first counts.
   */
  transportEnded(): void;
}

/**
 * An endpoint's pool as seen by attempts: `request({ ..., opaque: hooks })` works as on the pool,
 * and tells the attempt's hooks when the request starts and when the response has fully arrived.
 * Attempts abort through the request's controller and learn the end here, so a call needs no
 * AbortSignal and no listener on the response body (together they made V8 keep each call's
 * objects alive until a full GC, which cost more than the call).
 */
export class AttemptDispatcher extends Dispatcher {
  constructor(readonly pool: Pool) {
    super();
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const hooks = (options as { opaque?: unknown }).opaque as AttemptTransportHooks | undefined;
    return this.pool.dispatch(options, hooks ? new HookedHandler(hooks, handler) : handler);
  }

  override close(): Promise<void> {
    return this.pool.close();
  }

  override destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** Forwards every event to undici's own handler and tells the attempt about start and end. */
class HookedHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly hooks: AttemptTransportHooks,
    private readonly inner: Dispatcher.DispatchHandler,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
    this.hooks.requestStarted(controller);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.inner.onResponseEnd?.(controller, trailers);
    this.hooks.transportEnded();
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
    this.hooks.transportEnded();
  }
}
