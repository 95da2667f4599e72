import { hostname } from 'node:os';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** The trace fields `createLogger` adds to every line written while a span is active. */
export interface TraceLogFields {
  /** 32 lowercase hex characters, as in `traceparent`. */
  trace_id: string;
  /** 16 lowercase hex characters. */
  span_id: string;
  /** Two hex characters: `01` when the trace is sampled, `00` when not. */
  trace_flags: string;
}

/**
 * The active span's ids as log fields, or `undefined` outside a span. Use it to put the same
 * fields on logs written by something other than `createLogger`.
 */
export function activeTraceFields(): TraceLogFields | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}

export interface CreateLoggerOptions extends LoggerOptions {
  /** Where lines go; standard output when left out. */
  destination?: DestinationStream;
  /** The `service` field; defaults to `OTEL_SERVICE_NAME`, left out when neither is set. */
  service?: string;
}

/**
 * A pino logger writing JSON lines that carry `trace_id`, `span_id` and `trace_flags` of the
 * span active when the line is written (none outside a span), and `service` from
 * `OTEL_SERVICE_NAME`. Every pino option works as usual; a `mixin` of yours is kept, and the
 * trace fields are added to what it returns.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { destination, service: serviceOption, mixin, base, ...pinoOptions } = options;
  const service = serviceOption ?? (process.env.OTEL_SERVICE_NAME?.trim() || undefined);
  const resolvedOptions: LoggerOptions = {
    ...pinoOptions,
    // pino's own default base (pid, hostname), unless the caller chose one, plus the service.
    base: {
      ...(base === undefined ? { pid: process.pid, hostname: hostname() } : base),
      ...(service === undefined ? {} : { service }),
    },
    mixin(mergeObject, level, logger) {
      const own = mixin ? mixin(mergeObject, level, logger) : {};
      return { ...own, ...activeTraceFields() };
    },
  };
  return destination ? pino(resolvedOptions, destination) : pino(resolvedOptions);
}
