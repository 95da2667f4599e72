import { Readable } from 'node:stream';
import { context as otelContext, type Span } from '@opentelemetry/api';
import type { PreparedRequest } from './attempt.js';
import { CallLifetime } from './call-lifetime.js';
import { AttemptResponse, CallPlanRecord, CallScope, PreparedCall } from './call-records.js';
import { runCall, type HedgePolicy, type RetryPolicy } from './call-runner.js';
import type { Clock, RandomSource } from './clock.js';
import { currentDeadline, Deadline, DeadlineExceededError } from './deadline/deadline.js';
import {
  InvalidRequestError,
  MeshClosedError,
  OverloadedError,
  RequestAbortedError,
  UpstreamStatusError,
} from './errors.js';
import type { MeshEventLog } from './events.js';
import type { FaultInjector } from './fault/fault-injection.js';
import type { MeshRequest, MeshResponse } from './request.js';
import type { Bulkhead } from './resilience/bulkhead.js';
import { FailedAnswer } from './resilience/failed-answer.js';
import { isIdempotent } from './resilience/idempotency.js';
import type { LatencyWindow } from './resilience/latency-window.js';
import type { RetryBudget } from './resilience/retry-budget.js';
import type { UpstreamBreaker } from './resilience/upstream-breaker.js';
import { endCallSpan, startCallSpan } from './telemetry/call-tracing.js';
import type { MeshMetrics } from './telemetry/mesh-metrics.js';
import { MeshResponseBody } from './transport/response-body.js';
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

/** Everything a client needs from its mesh: one upstream's policies and shared services. */
export interface ClientSettings {
  readonly timeoutMs: number;
  readonly attemptTimeoutMs: number | undefined;
  /** How long a call waits for discovery to list a first endpoint before failing. */
  readonly discoveryWaitMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly hedge: HedgePolicy | undefined;
  readonly budget: RetryBudget | undefined;
  readonly breaker: UpstreamBreaker | undefined;
  readonly bulkhead: Bulkhead;
  readonly faults: FaultInjector | undefined;
  readonly latency: LatencyWindow;
  readonly events: MeshEventLog;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly isClosed: () => boolean;
  readonly metrics: MeshMetrics | undefined;
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

  /**
   * Sends one request: under the call's deadline (its own timeout, or less when the request it
   * serves has less time left), through the breaker, retried or hedged when that is safe.
   */
  request(request: MeshRequest): Promise<MeshResponse> {
    let prepared: PreparedRequest;
    try {
      if (this.settings.isClosed()) throw new MeshClosedError(this.name);
      prepared = this.#prepare(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const traced = startCallSpan(this.name, prepared.method);
    // One async layer per call: every extra await costs a promise and a turn of the microtask queue.
    return traced.switchesContext
      ? otelContext.with(traced.context, () => this.#execute(request, prepared, traced.span))
      : this.#execute(request, prepared, traced.span);
  }

  async #execute(
    request: MeshRequest,
    prepared: PreparedRequest,
    span: Span,
  ): Promise<MeshResponse> {
    const { settings } = this;
    const startedAt = settings.clock();
    settings.metrics?.callStarted(this.name);
    let attempts = 0;
    let released = true;
    let call: CallLifetime | undefined;
    // Ends the call's claims: its bulkhead slot and its deadline timer, once the answer has arrived.
    const release = (): void => {
      if (released) return;
      released = true;
      settings.bulkhead.release();
      call?.dispose();
    };
    try {
      const own = Deadline.after(
        request.timeoutMs ?? settings.timeoutMs,
        settings.clock,
        startedAt,
      );
      const deadline = own.min(request.deadline ?? currentDeadline());
      const remainingMs = deadline.remainingMs(startedAt);
      if (remainingMs <= 0) {
        throw new DeadlineExceededError(
          this.name,
          'the deadline had passed before the call was sent',
        );
      }
      if (!settings.bulkhead.tryAcquire())
        throw new OverloadedError(this.name, settings.bulkhead.maxConcurrent);
      released = false;
      call = new CallLifetime(this.name, remainingMs, request.signal);
      let response: MeshResponse | undefined;
      let sendAt = startedAt;
      if (settings.faults?.enabled) {
        response = await this.#faultAnswer(settings.faults, prepared, call);
        // The wait (an injected delay, if any) took time: the attempts need a fresh reading.
        sendAt = settings.clock();
      }
      if (response) {
        release();
      } else {
        try {
          response = await this.#send(request, prepared, deadline, call, sendAt, (count) => {
            attempts = count;
          });
        } catch (error) {
          // A 5xx answer was thrown only so that the breaker counts it: the caller still gets it.
          if (!(error instanceof FailedAnswer)) throw settings.breaker?.refusal(error) ?? error;
          response = error.response;
        }
        AttemptResponse.whenEnded(response, release);
      }
      endCallSpan(span, { statusCode: response.statusCode, attempts });
      const elapsedMs = settings.clock() - startedAt;
      this.upstream.calls.record(elapsedMs, response.statusCode >= 500);
      settings.metrics?.callEnded(
        this.name,
        prepared.method,
        response.statusCode,
        elapsedMs / 1000,
      );
      return response;
    } catch (error) {
      release();
      endCallSpan(span, { error, attempts });
      const elapsedMs = settings.clock() - startedAt;
      this.upstream.calls.record(elapsedMs, true);
      settings.metrics?.callEnded(this.name, prepared.method, undefined, elapsedMs / 1000);
      throw error;
    }
  }

  /** Runs the call's attempts, through the breaker when there is one. */
  #send(
    request: MeshRequest,
    prepared: PreparedRequest,
    deadline: Deadline,
    call: CallLifetime,
    startedAt: number,
    onAttempts: (count: number) => void,
  ): Promise<MeshResponse> {
    const { settings } = this;
    const plan = new CallPlanRecord(
      prepared,
      isIdempotent(prepared.method, prepared.headers, request.idempotent),
      request.hashKey,
      deadline,
      call,
      request.signal,
      request.retries === 0 ? undefined : withMaxRetries(settings.retry, request.retries),
      request.hedge === false
        ? undefined
        : request.hedge === true
          ? (settings.hedge ?? defaultHedge)
          : settings.hedge,
      settings.attemptTimeoutMs,
      settings.discoveryWaitMs,
      startedAt,
      onAttempts,
    );
    const services = new CallScope(
      this.upstream,
      settings.clock,
      deadline,
      call,
      settings.random,
      settings.events,
      settings.budget,
      settings.latency,
    );
    const run = (): Promise<MeshResponse> => runCall(plan, services);
    return settings.breaker ? settings.breaker.fire(run) : run();
  }

  /** The injected fault's answer, after its injected delay; undefined when the call goes out. */
  async #faultAnswer(
    faults: FaultInjector,
    prepared: PreparedRequest,
    call: CallLifetime,
  ): Promise<MeshResponse | undefined> {
    const fault = faults.decide(prepared.headers);
    if (fault.delayMs <= 0 && fault.abortStatus === undefined) return undefined;
    this.settings.events.emit({
      type: 'fault',
      upstream: this.name,
      delayMs: fault.delayMs,
      abortStatus: fault.abortStatus,
    });
    if (fault.delayMs > 0) await this.#delay(fault.delayMs, call);
    return fault.abortStatus === undefined
      ? undefined
      : faultResponse(this.name, fault.abortStatus);
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

  async #delay(ms: number, call: CallLifetime): Promise<void> {
    // The call's own reason for a caller's abort; a deadline gets the wait named.
    await call.sleep(ms).catch((reason: unknown) => {
      throw reason instanceof RequestAbortedError
        ? reason
        : new DeadlineExceededError(this.name, 'during an injected delay');
    });
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
    const retries = request.retries;
    if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
      throw new InvalidRequestError(
        this.name,
        `Invalid retries ${String(retries)}`,
        'pass a whole number >= 0',
      );
    }
    if (request.json !== undefined && request.body !== undefined) {
      throw new InvalidRequestError(
        this.name,
        'Both json and body were given',
        'pass one of them: json for a value to serialize, body for raw bytes',
      );
    }
    // Most calls carry no headers of their own: they share one empty, frozen record.
    let headers: Record<string, string | string[]> = NO_HEADERS;
    if (request.headers) {
      headers = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = value;
      }
    }
    let body: PreparedRequest['body'] = toDispatchableBody(request.body);
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      if (headers === NO_HEADERS) headers = {};
      headers['content-type'] ??= 'application/json';
    }
    return new PreparedCall(method, request.path, headers, body, !(body instanceof Readable));
  }
}

const NO_HEADERS: Record<string, string | string[]> = Object.freeze({});

const defaultHedge: HedgePolicy = { delayMs: 'p95', fallbackDelayMs: 50 };

function withMaxRetries(
  policy: RetryPolicy | undefined,
  maxRetries: number | undefined,
): RetryPolicy | undefined {
  if (!policy || maxRetries === undefined) return policy;
  return { ...policy, maxRetries };
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

/** The answer an injected abort gives, without touching the network. */
function faultResponse(upstream: string, statusCode: number): MeshResponse {
  const text = JSON.stringify({ error: 'fault injected by the mesh', statusCode });
  const body = MeshResponseBody.complete(upstream, Buffer.from(text), 'application/json');
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-trellis-fault': 'abort' },
    body,
    upstream,
    endpoint: 'fault-injection',
  };
}
