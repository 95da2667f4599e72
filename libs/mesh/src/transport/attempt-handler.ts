import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { MeshResponseBody } from './response-body.js';

/** What an attempt learns from the transport about its own request. */
export interface AttemptTransportHooks {
  /** The request is about to be written; `controller` aborts it from now on. */
  requestStarted(controller: Dispatcher.DispatchController): void;
  /** The status and headers arrived; the body follows into `body`. */
  responseStarted(statusCode: number, headers: IncomingHttpHeaders, body: MeshResponseBody): void;
  /** The request failed, or was aborted, before its response started. */
  requestFailed(error: Error): void;
  /**
   * The response's last byte arrived, or the request or its response failed or was aborted; may
   * come more than once, only the first counts.
   */
  transportEnded(): void;
}

/**
 * undici's handler for one attempt: it tells the attempt when the request starts, when the answer
 * starts and when it ends, and feeds the body. Dispatching with it, rather than through undici's
 * `request()`, spares each call an async resource, a callback turn and a Node stream.
 */
export class AttemptHandler implements Dispatcher.DispatchHandler {
  #body: MeshResponseBody | undefined = undefined;

  constructor(
    private readonly hooks: AttemptTransportHooks,
    private readonly upstream: string,
    private readonly method: string,
    private readonly requestBody: unknown,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.hooks.requestStarted(controller);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx answers are interim: the final one follows on the same request.
    if (statusCode < 200) return;
    const body = new MeshResponseBody(
      this.upstream,
      controller,
      headers['content-type'],
      this.method === 'HEAD' ? 0 : contentLengthOf(headers),
    );
    this.#body = body;
    this.hooks.responseStarted(statusCode, headers, body);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#body?.push(chunk);
  }

  onResponseEnd(): void {
    this.#body?.end();
    this.hooks.transportEnded();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#body) this.#body.fail(error);
    else this.hooks.requestFailed(error);
    // A request body stream that was not sent whole is of no further use: release what it holds.
    const sent = this.requestBody;
    if (sent instanceof Readable && !sent.destroyed) sent.on('error', ignore).destroy(error);
    this.hooks.transportEnded();
  }
}

function contentLengthOf(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  if (value === undefined) return undefined;
  const length = Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function ignore(): void {}
