import { Readable } from 'node:stream';
import type { Clock } from './clock.js';
import type { EndpointState } from './endpoint-state.js';
import {
  InvalidRequestError,
  MeshClosedError,
  MeshError,
  NoEndpointsError,
  RequestAbortedError,
  RequestTimeoutError,
  UpstreamRequestError,
  UpstreamStatusError,
} from './errors.js';
import type { MeshRequest, MeshResponse } from './request.js';
import type { Upstream } from './upstream.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Spaces, control and non-ASCII characters would corrupt the request line; they must be percent-encoded. */
function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return true;
  }
  return false;
}

export interface ClientSettings {
  readonly timeoutMs: number;
  /** A failed attempt counts as this much latency at least, so a fast-failing endpoint does not attract traffic. */
  readonly failurePenaltyMs: number;
  /** How long a call waits for discovery to list a first endpoint before failing. */
  readonly discoveryWaitMs: number;
  readonly clock: Clock;
  readonly isClosed: () => boolean;
}

/** Calls one upstream service by name; get it from `mesh.client(name)`. */
export class ServiceClient {
  constructor(
    private readonly upstream: Upstream,
    private readonly settings: ClientSettings,
  ) {}

  get name(): string {
    return this.upstream.name;
  }

  /** Sends one request to an endpoint the balancer picks. */
  async request(request: MeshRequest): Promise<MeshResponse> {
    if (this.settings.isClosed()) throw new MeshClosedError(this.name);
    const prepared = this.#prepare(request);
    const timeoutMs = request.timeoutMs ?? this.settings.timeoutMs;
    const call = new CallSignal(timeoutMs, request.signal);
    try {
      await this.upstream.whenEndpoints(call.signal, this.settings.discoveryWaitMs);
      const state = this.upstream.pick({ hashKey: request.hashKey });
      if (!state) {
        throw new NoEndpointsError(
          this.name,
          this.upstream.discovered
            ? `${this.upstream.resolver.description} lists no endpoints`
            : `${this.upstream.resolver.description} has not answered yet`,
        );
      }
      this.#throwIfAborted(call, timeoutMs);
      return await this.#send(state, prepared, call, timeoutMs);
    } catch (error) {
      call.dispose();
      throw error;
    }
  }

  get(path: string, options: Omit<MeshRequest, 'path' | 'method'> = {}): Promise<MeshResponse> {
    return this.request({ ...options, path, method: 'GET' });
  }

  post(path: string, options: Omit<MeshRequest, 'path' | 'method'> = {}): Promise<MeshResponse> {
    return this.request({ ...options, path, method: 'POST' });
  }

  /** Sends a request and parses a 2xx JSON answer; any other status throws UpstreamStatusError. */
  async json<T = unknown>(request: MeshRequest): Promise<T> {
    const response = await this.request({
      ...request,
      headers: { accept: 'application/json', ...request.headers },
    });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await response.body.text().catch(() => '');
      throw new UpstreamStatusError(this.name, response.statusCode, response.endpoint, text);
    }
    return (await response.body.json()) as T;
  }

  async #send(
    state: EndpointState,
    prepared: PreparedRequest,
    call: CallSignal,
    timeoutMs: number,
  ): Promise<MeshResponse> {
    const startedAt = this.settings.clock();
    state.pending += 1;
    state.sent += 1;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      state.pending -= 1;
      call.dispose();
    };
    try {
      const pool = this.upstream.pools.poolFor(state.key, state.endpoint);
      const response = await pool.request({
        method: prepared.method,
        path: prepared.path,
        headers: prepared.headers,
        body: prepared.body,
        signal: call.signal,
      });
      state.latency.observe(this.settings.clock() - startedAt);
      response.body.once('close', finish);
      response.body.once('error', finish);
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        upstream: this.name,
        endpoint: state.key,
      };
    } catch (error) {
      finish();
      const elapsed = this.settings.clock() - startedAt;
      if (call.timedOut) throw new RequestTimeoutError(this.name, timeoutMs, error);
      if (call.callerAborted) throw new RequestAbortedError(this.name, error);
      state.latency.observe(Math.max(elapsed, this.settings.failurePenaltyMs));
      throw new UpstreamRequestError(this.name, state.key, error);
    }
  }

  #throwIfAborted(call: CallSignal, timeoutMs: number): void {
    if (call.timedOut) throw new RequestTimeoutError(this.name, timeoutMs);
    if (call.callerAborted) throw new RequestAbortedError(this.name, call.signal.reason);
  }

  #prepare(request: MeshRequest): PreparedRequest {
    const method = (request.method ?? 'GET').toUpperCase();
    if (!TOKEN.test(method)) {
      throw new InvalidRequestError(
        this.name,
        `Invalid HTTP method "${request.method}"`,
        'use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS',
      );
    }
    if (
      typeof request.path !== 'string' ||
      !request.path.startsWith('/') ||
      hasSpaceOrControl(request.path)
    ) {
      throw new InvalidRequestError(
        this.name,
        `Invalid request path ${JSON.stringify(request.path)}`,
        'pass a path that starts with "/" and has no spaces, control or non-ASCII characters (percent-encode them)',
      );
    }
    const timeoutMs = request.timeoutMs;
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
      throw new InvalidRequestError(
        this.name,
        `Invalid timeoutMs ${String(timeoutMs)}`,
        'pass a positive number of milliseconds',
      );
    }
    if (request.json !== undefined && request.body !== undefined) {
      throw new InvalidRequestError(
        this.name,
        'Both json and body were given',
        'pass one of them: json for a value to serialize, body for raw bytes',
      );
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    let body: PreparedRequest['body'] = toDispatchableBody(request.body);
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json';
    }
    return { method, path: request.path, headers, body };
  }
}

interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array | Readable | undefined;
}

function toDispatchableBody(body: MeshRequest['body']): PreparedRequest['body'] {
  if (
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof Readable
  ) {
    return body;
  }
  return Readable.from(body);
}

/** One abort signal for a call: fires on the call's timeout or when the caller aborts. */
class CallSignal {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#callerSignal?.reason);
  timedOut = false;

  constructor(timeoutMs: number, callerSignal: AbortSignal | undefined) {
    this.#callerSignal = callerSignal;
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#controller.abort(
        new MeshError('ERR_TIMEOUT', `call timed out after ${timeoutMs} ms`, {
          advice: 'raise the timeout or find out why the upstream is slow',
        }),
      );
    }, timeoutMs);
    // A pending call keeps its socket, and so the process, alive; the timer alone should not.
    this.#timer.unref();
    if (callerSignal?.aborted) this.#onCallerAbort();
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get callerAborted(): boolean {
    return !this.timedOut && this.#controller.signal.aborted;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}
