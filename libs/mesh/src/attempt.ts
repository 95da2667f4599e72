import { context as otelContext, SpanStatusCode } from '@opentelemetry/api';
import { AttemptResponse, whenBodyEnds } from './call-records.js';
import type { Clock } from './clock.js';
import { DEADLINE_HEADER, formatDeadlineHeader, type Deadline } from './deadline/deadline.js';
import type { EndpointState } from './endpoint-state.js';
import { AttemptTimeoutError, UpstreamRequestError } from './errors.js';
import type { MeshResponse } from './request.js';
import type { AttemptOutcome } from './resilience/retry-classifier.js';
import { failSpan, injectTraceHeaders, startAttemptSpan } from './telemetry/call-tracing.js';
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
  /** Aborts when the caller gives up or the deadline passes, with the reason as the error. */
  readonly callSignal: AbortSignal;
  readonly onLatency: (ms: number) => void;
}

const HEDGE_LOST = new Error('attempt cancelled: the other hedged attempt answered first');

/** Sends one attempt to one endpoint, with its own time limit, and never throws: it reports. */
export function startAttempt(
  context: AttemptContext,
  state: EndpointState,
  request: PreparedRequest,
  attemptTimeoutMs: number,
  sent: { resendCount: number; hedge: boolean },
): AttemptHandle {
  const { upstream } = context;
  const traced = startAttemptSpan(
    upstream.name,
    state,
    request.method,
    request.path,
    sent.resendCount,
    sent.hedge,
  );
  if (traced.span.isRecording())
    traced.span.addEvent('trellis.endpoint.chosen', {
      'trellis.endpoint': state.key,
      'trellis.balancer': upstream.balancer.name,
      'trellis.eligible_endpoints': upstream.eligible.length,
      'trellis.panic': upstream.panic,
      'trellis.endpoint.pending': state.pending,
      'trellis.endpoint.ewma_ms': Math.round(state.latency.estimateMs * 100) / 100,
    });
  const controller = new AbortController();
  const onCallAbort = (): void => controller.abort(context.callSignal.reason);
  if (context.callSignal.aborted) onCallAbort();
  else context.callSignal.addEventListener('abort', onCallAbort, { once: true });
  const timer = Number.isFinite(attemptTimeoutMs)
    ? setTimeout(
        () => controller.abort(new AttemptTimeoutError(upstream.name, state.key, attemptTimeoutMs)),
        attemptTimeoutMs,
      )
    : undefined;
  timer?.unref();
  let cancelled = false;
  let delivered: MeshResponse | undefined;

  const startedAt = context.clock();
  state.pending += 1;
  state.sent += 1;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    state.pending -= 1;
    clearTimeout(timer);
    context.callSignal.removeEventListener('abort', onCallAbort);
  };

  const result = (async (): Promise<AttemptResult> => {
    try {
      const pool = upstream.pools.poolFor(state.key, state.endpoint);
      const headers: Record<string, string | string[]> = {
        ...request.headers,
        [DEADLINE_HEADER]: formatDeadlineHeader(context.deadline),
      };
      injectTraceHeaders(traced.context, headers);
      const response = await otelContext.with(traced.context, () =>
        pool.request({
          method: request.method,
          path: request.path,
          headers,
          body: request.body,
          signal: controller.signal,
        }),
      );
      traced.span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) {
        traced.span.setAttribute('error.type', String(response.statusCode));
        traced.span.setStatus({ code: SpanStatusCode.ERROR });
      }
      traced.span.end();
      // The attempt's own limit covers the wait for an answer; reading the body is the caller's time.
      clearTimeout(timer);
      const latency = context.clock() - startedAt;
      state.latency.observe(latency);
      context.onLatency(latency);
      whenBodyEnds(response.body, finish);
      delivered = new AttemptResponse(
        response.statusCode,
        response.headers,
        response.body,
        upstream.name,
        state.key,
      );
      if (cancelled) {
        void response.body.dump().catch(() => undefined);
        return {
          state,
          outcome: { kind: 'error', error: HEDGE_LOST },
          error: HEDGE_LOST,
          cancelled: true,
        };
      }
      return {
        state,
        outcome: { kind: 'response', statusCode: response.statusCode },
        response: delivered,
        cancelled: false,
      };
    } catch (cause) {
      finish();
      const error = controller.signal.aborted
        ? controller.signal.reason
        : new UpstreamRequestError(upstream.name, state.key, cause);
      if (cancelled) traced.span.setAttribute('trellis.hedge.lost', true);
      else failSpan(traced.span, error);
      traced.span.end();
      return { state, outcome: { kind: 'error', error }, error, cancelled };
    }
  })();

  return {
    result,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      if (delivered) void delivered.body.dump().catch(() => undefined);
      else controller.abort(HEDGE_LOST);
    },
  };
}
