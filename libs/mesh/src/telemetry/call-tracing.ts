import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { EndpointState } from '../endpoint-state.js';
import { markMeshAttempt } from './attempt-context.js';

let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/** Follows the global provider, so one registered (or replaced) after import is used. */
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cached?.provider !== provider)
    cached = { provider, tracer: provider.getTracer('@trellis/mesh') };
  return cached.tracer;
}

/** The provider the API answers with while no SDK has registered one (a shared no-op). */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True when nothing can come of a span: no SDK has registered a tracer provider, and the active
 * context is the root one, which carries no trace and no baggage to propagate. A call then skips
 * the tracing API altogether, which otherwise costs it several thousand instructions.
 */
function tracingIdle(): boolean {
  const provider = trace.getTracerProvider();
  return (
    provider instanceof ProxyTracerProvider &&
    provider.getDelegate() === NO_PROVIDER &&
    context.active() === ROOT_CONTEXT
  );
}

/** The logical span of one call: covers every attempt, retry and hedge it takes. */
export function startCallSpan(upstream: string, method: string): AttemptSpan {
  if (tracingIdle()) return UNTRACED;
  const span = tracer().startSpan(`mesh.call ${upstream}`, { kind: SpanKind.INTERNAL });
  if (untraced(span)) return new TracedSpan(span, context.active(), false);
  // Attributes cost allocations on every call: build them only when someone records.
  if (span.isRecording())
    span.setAttributes({ 'trellis.upstream': upstream, 'http.request.method': method });
  return new TracedSpan(span, trace.setSpan(context.active(), span));
}

export function endCallSpan(
  span: Span,
  outcome: { statusCode?: number; error?: unknown; attempts: number },
): void {
  if (!span.isRecording()) return span.end();
  span.setAttribute('trellis.attempts', outcome.attempts);
  if (outcome.statusCode !== undefined) {
    span.setAttribute('http.response.status_code', outcome.statusCode);
    if (outcome.statusCode >= 500) {
      span.setAttribute('error.type', String(outcome.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  if (outcome.error !== undefined) failSpan(span, outcome.error);
  span.end();
}

/** No tracer records it and no trace runs through it: the call needs no context of its own. */
function untraced(span: Span): boolean {
  if (span.isRecording()) return false;
  const spanContext = span.spanContext();
  return spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext);
}

/** A span and the context it is active in; a class so V8 never pretenures it (see call-records.ts). */
class TracedSpan {
  constructor(
    readonly span: Span,
    readonly context: Context,
    readonly switchesContext = true,
  ) {}
}

/** What every call and attempt gets while tracing is idle: one shared span that records nothing. */
const UNTRACED = new TracedSpan(trace.wrapSpanContext(INVALID_SPAN_CONTEXT), ROOT_CONTEXT, false);

export interface AttemptSpan {
  readonly span: Span;
  /** The context to send in: the attempt span is active and marked as a mesh attempt. */
  readonly context: Context;
  /** False when `context` is the caller's own, so there is nothing to switch to. */
  readonly switchesContext: boolean;
}

/** One CLIENT span per attempt, with the HTTP semantic-convention attributes. */
export function startAttemptSpan(
  upstream: string,
  state: EndpointState,
  method: string,
  path: string,
  resendCount: number,
  hedge: boolean,
): AttemptSpan {
  if (tracingIdle()) return UNTRACED;
  const span = tracer().startSpan(method, { kind: SpanKind.CLIENT });
  // Not traced by the mesh: HTTP client instrumentation, if any, may trace the attempt itself.
  if (untraced(span)) return new TracedSpan(span, context.active(), false);
  const attemptContext = markMeshAttempt(trace.setSpan(context.active(), span));
  if (!span.isRecording()) return new TracedSpan(span, attemptContext);
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': state.endpoint.address,
    'server.port': state.endpoint.port,
    'url.full': `http://${state.key}${path}`,
    'trellis.upstream': upstream,
  };
  if (resendCount > 0) attributes['http.request.resend_count'] = resendCount;
  if (hedge) attributes['trellis.hedge'] = true;
  span.setAttributes(attributes);
  return new TracedSpan(span, attemptContext);
}

/** W3C trace context (and baggage) for the attempt's outgoing headers; the root context has none. */
export function injectTraceHeaders(ctx: Context, headers: Record<string, string | string[]>): void {
  if (ctx !== ROOT_CONTEXT) propagation.inject(ctx, headers);
}

export function failSpan(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | undefined)?.code;
  span.setAttribute(
    'error.type',
    typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown',
  );
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
