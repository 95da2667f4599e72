import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import {
  context,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type SpanContext,
} from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { activeTraceFields, createLogger } from '../src/logger.js';

/** The smallest context manager that carries a context across awaits, as the SDK's does. */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    return ((...args: unknown[]) =>
      this.with(ctx, target as (...a: unknown[]) => unknown, undefined, ...args)) as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** An in-memory pino destination: every line written, parsed. */
function memoryDestination(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const sampled: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: false,
};

describe('createLogger', () => {
  const savedServiceName = process.env.OTEL_SERVICE_NAME;

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalContextManager());
  });
  afterAll(() => {
    context.disable();
  });
  afterEach(() => {
    if (savedServiceName === undefined) delete process.env.OTEL_SERVICE_NAME;
    else process.env.OTEL_SERVICE_NAME = savedServiceName;
  });

  it("prints the active span's trace_id, span_id and trace_flags inside a span, and none outside", async () => {
    const out = memoryDestination();
    const log = createLogger({ destination: out.stream });

    log.info('before');
    await context.with(trace.setSpanContext(context.active(), sampled), async () => {
      log.info('inside');
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.info({ step: 2 }, 'still inside, after an await');
    });
    log.info('after');

    const [before, inside, afterAwait, after] = out.lines();
    expect(inside).toMatchObject({
      msg: 'inside',
      trace_id: sampled.traceId,
      span_id: sampled.spanId,
      trace_flags: '01',
    });
    expect(afterAwait).toMatchObject({
      step: 2,
      trace_id: sampled.traceId,
      span_id: sampled.spanId,
    });
    for (const outside of [before, after]) {
      expect(outside).not.toHaveProperty('trace_id');
      expect(outside).not.toHaveProperty('span_id');
      expect(outside).not.toHaveProperty('trace_flags');
    }
  });

  it('follows the span started with startActiveSpan, and the parent again once it ends', () => {
    const out = memoryDestination();
    const log = createLogger({ destination: out.stream });
    const parent = trace.setSpanContext(context.active(), sampled);

    context.with(parent, () => {
      // Without an SDK the API's tracer gives the child the parent's span context: the ids are
      // the parent's, read through the same getActiveSpan the logger uses.
      trace.getTracer('logger-test').startActiveSpan('child', (span) => {
        log.info('in child');
        expect(activeTraceFields()).toEqual({
          trace_id: span.spanContext().traceId,
          span_id: span.spanContext().spanId,
          trace_flags: '01',
        });
        span.end();
      });
    });

    expect(out.lines()[0]).toMatchObject({ trace_id: sampled.traceId, span_id: sampled.spanId });
  });

  it("writes trace_flags 00 for a span that isn't sampled, and nothing for an invalid span context", () => {
    const out = memoryDestination();
    const log = createLogger({ destination: out.stream });
    const unsampled = { ...sampled, traceFlags: TraceFlags.NONE };
    const invalid = { ...sampled, traceId: '00000000000000000000000000000000' };

    context.with(trace.setSpanContext(context.active(), unsampled), () => log.info('unsampled'));
    context.with(trace.setSpanContext(context.active(), invalid), () => log.info('invalid'));

    const [first, second] = out.lines();
    expect(first).toMatchObject({ trace_id: sampled.traceId, trace_flags: '00' });
    expect(second).not.toHaveProperty('trace_id');
  });

  it('names the service from OTEL_SERVICE_NAME, and keeps pid, hostname and a mixin of yours', () => {
    process.env.OTEL_SERVICE_NAME = 'checkout';
    const out = memoryDestination();
    const log = createLogger({ destination: out.stream, mixin: () => ({ region: 'eu' }) });

    context.with(trace.setSpanContext(context.active(), sampled), () => log.warn('hello'));

    expect(out.lines()[0]).toMatchObject({
      level: 40,
      service: 'checkout',
      pid: process.pid,
      region: 'eu',
      trace_id: sampled.traceId,
      msg: 'hello',
    });
    expect(out.lines()[0]).toHaveProperty('hostname');
  });

  it('leaves service out when OTEL_SERVICE_NAME is unset', () => {
    delete process.env.OTEL_SERVICE_NAME;
    const out = memoryDestination();
    createLogger({ destination: out.stream }).info('anonymous');
    expect(out.lines()[0]).not.toHaveProperty('service');
  });
});
