import { context as otelContext, SpanStatusCode } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Abortable, CallLifetime } from './call-lifetime.js';
import { AttemptDispatchOptions, AttemptReport, AttemptResponse } from './call-records.js';
import type { Clock } from './clock.js';
import { DEADLINE_HEADER, formatDeadlineHeader, type Deadline } from './deadline/deadline.js';
import type { EndpointState } from './endpoint-state.js';
import { AttemptTimeoutError, UpstreamRequestError } from './errors.js';
import type { MeshResponse } from './request.js';
import type { LatencyWindow } from './resilience/latency-window.js';
import type { AttemptOutcome } from './resilience/retry-classifier.js';
import {
  failSpan,
  injectTraceHeaders,
  startAttemptSpan,
  type AttemptSpan,
} from './telemetry/call-tracing.js';
import { AttemptHandler, type AttemptTransportHooks } from './transport/attempt-handler.js';
import type { MeshResponseBody } from './transport/response-body.js';
import type { Upstream } from './upstream.js';

export interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array | import('node:stream').Readable | undefined;
  /** False for a stream body: it can be sent once only, so no retry or hedge. */
  replayable: boolean;
}

export interface AttemptResult {
  readonly state: EndpointState;
  readonly outcome: AttemptOutcome;
  readonly response?: MeshResponse;
  readonly error?: unknown;
  /** True when the mesh itself cut the attempt short (lost hedge): says nothing about the endpoint. */
  readonly cancelled: boolean;
}

export interface AttemptHandle {
  readonly result: Promise<AttemptResult>;
  /** Cancels the attempt (the losing hedge); a response that already arrived is discarded. */
  cancel(): void;
}

export interface AttemptContext {
  readonly upstream: Upstream;
  readonly clock: Clock;
  readonly deadline: Deadline;
  /** Aborted when the caller gives up or the deadline passes, with the reason as the error. */
  readonly call: CallLifetime;
  /** The upstream's recent latencies (hedging's p95). */
  readonly latency: LatencyWindow;
}

const HEDGE_LOST = new Error('attempt cancelled: the other hedged attempt answered first');

/** Sends one attempt to one endpoint, with its own time limit, and never throws: it reports. */
export function startAttempt(
  context: AttemptContext,
  state: EndpointState,
  request: PreparedRequest,
  attemptTimeoutMs: number,
  resendCount: number,
  hedge: boolean,
  /** A reading of the mesh clock taken just now by the caller. */
  startedAt: number,
): AttemptHandle {
  const { upstream } = context;
  const traced = startAttemptSpan(
    upstream.name,
    state,
    request.method,
    request.path,
    resendCount,
    hedge,
  );
  // The pick as attributes, not an event: an event per attempt costs a record, a timestamp and
  // more old-generation garbage in the tracing SDK than the rest of the attempt's span.
  if (traced.span.isRecording())
    traced.span.setAttributes({
      'trellis.endpoint': state.key,
      'trellis.balancer': upstream.balancer.name,
      'trellis.eligible_endpoints': upstream.eligible.length,
      'trellis.panic': upstream.panic,
      'trellis.endpoint.pending': state.pending,
      'trellis.endpoint.ewma_ms': Math.round(state.latency.estimateMs * 100) / 100,
    });
  return new AttemptFlight(context, state, request, attemptTimeoutMs, traced, startedAt);
}

/**
 * One attempt in flight. It counts as pending on its endpoint from the send until its response
 * has fully arrived (or it fails or is aborted), and it settles its result once: with the
 * response, the transport's error, or the reason it was aborted (its own time limit, the call's
 * abort, or a lost hedge), whichever comes first.
 */
class AttemptFlight implements AttemptHandle, AttemptTransportHooks, Abortable {
  readonly result: Promise<AttemptResult>;
  #settle!: (result: AttemptResult) => void;
  #settled = false;
  #controller: Dispatcher.DispatchController | undefined;
  #abortReason: unknown = undefined;
  #aborted = false;
  #cancelled = false;
  #ended = false;
  #onEnded: (() => void) | undefined;
  #delivered: AttemptResponse | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #startedAt: number;

  constructor(
    private readonly context: AttemptContext,
    readonly state: EndpointState,
    request: PreparedRequest,
    private readonly timeoutMs: number,
    private readonly traced: AttemptSpan,
    startedAt: number,
  ) {
    this.result = new Promise((resolve) => {
      this.#settle = resolve;
    });
    state.pending += 1;
    state.sent += 1;
    this.#startedAt = startedAt;
    this.#timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => this.#abortAtTimeLimit(), timeoutMs)
      : undefined;
    this.#timer?.unref();
    context.call.watch(this);
    if (this.#aborted) return;
    const headers: Record<string, string | string[]> = { ...request.headers };
    headers[DEADLINE_HEADER] = formatDeadlineHeader(context.deadline, startedAt);
    injectTraceHeaders(traced.context, headers);
    const pool = context.upstream.pools.poolFor(state.key, state.endpoint);
    const options = new AttemptDispatchOptions(
      request.method as Dispatcher.HttpMethod,
      request.path,
      headers,
      request.body ?? null,
    );
    const handler = new AttemptHandler(this, context.upstream.name, request.method, request.body);
    if (traced.switchesContext)
      otelContext.with(traced.context, () => pool.dispatch(options, handler));
    else pool.dispatch(options, handler);
  }

  requestStarted(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#aborted) controller.abort(toError(this.#abortReason));
  }

  transportEnded(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.state.pending -= 1;
    clearTimeout(this.#timer);
    this.context.call.unwatch(this);
    this.#onEnded?.();
  }

  /** Runs `done` once the delivered response has fully arrived (now, if it already has). */
  whenEnded(done: () => void): void {
    if (this.#ended) done();
    else this.#onEnded = done;
  }

  abort(reason: unknown): void {
    if (this.#aborted || this.#ended) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(toError(reason));
    // A request still queued for a connection ends when it starts; the attempt does not wait.
    this.transportEnded();
    this.#reportError(reason);
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (this.#delivered) void this.#delivered.body.dump();
    else this.abort(HEDGE_LOST);
  }

  responseStarted(statusCode: number, headers: IncomingHttpHeaders, body: MeshResponseBody): void {
    const { span } = this.traced;
    // The attempt's own limit covers the wait for an answer; reading the body is the caller's time.
    clearTimeout(this.#timer);
    if (this.#settled) {
      void body.dump();
      return;
    }
    span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) {
      span.setAttribute('error.type', String(statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    const now = this.context.clock();
    const latency = now - this.#startedAt;
    this.state.latency.observe(latency, now);
    this.context.latency.record(latency);
    const delivered = new AttemptResponse(
      statusCode,
      headers,
      body,
      this.context.upstream.name,
      this.state.key,
      this,
    );
    this.#delivered = delivered;
    this.#settled = true;
    this.#settle(new AttemptReport(this.state, { kind: 'response', statusCode }, delivered));
  }

  requestFailed(cause: Error): void {
    this.transportEnded();
    if (this.#settled) return;
    this.#reportError(
      this.#aborted
        ? this.#abortReason
        : new UpstreamRequestError(this.context.upstream.name, this.state.key, cause),
    );
  }

  #reportError(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    const { span } = this.traced;
    if (this.#cancelled) span.setAttribute('trellis.hedge.lost', true);
    else failSpan(span, error);
    span.end();
    this.#settle(
      new AttemptReport(this.state, { kind: 'error', error }, undefined, error, this.#cancelled),
    );
  }

  #abortAtTimeLimit(): void {
    // No answer within the limit: the endpoint's latency is at least that, so peak-EWMA learns it
    // at once and stops picking an endpoint that has hung (it would look fast while it decays).
    const now = this.context.clock();
    this.state.latency.observe(now - this.#startedAt, now);
    this.abort(new AttemptTimeoutError(this.context.upstream.name, this.state.key, this.timeoutMs));
  }
}

/** undici's controller takes an Error; the mesh's reasons are Errors already. */
function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
