import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMesh, silentLogger, type Mesh } from '../src/index.js';
import { startReplicas, type Replica } from './support/replicas.js';
import { installInMemoryTracing } from './support/tracing.js';

// Without an SDK the mesh skips the tracing API; these pin down what it must still do then.

let replicas: Replica[] = [];
let mesh: Mesh | undefined;

function clearTracingGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

beforeEach(clearTracingGlobals);

afterEach(async () => {
  await mesh?.close({ force: true });
  mesh = undefined;
  await Promise.all(replicas.map((replica) => replica.close()));
  replicas = [];
  clearTracingGlobals();
});

async function echoedHeaders(): Promise<Record<string, string>> {
  const answer = await mesh!
    .client('shop')
    .json<{ headers: Record<string, string> }>({ path: '/' });
  return answer.headers;
}

describe('calls while no tracer provider is registered', () => {
  beforeEach(async () => {
    replicas = await startReplicas(1, 'r');
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { shop: { endpoints: [replicas[0]!.endpoint] } },
    });
  });

  it('send no trace headers when there is nothing to propagate', async () => {
    const headers = await echoedHeaders();
    expect(headers['traceparent']).toBeUndefined();
    expect(headers['x-trellis-deadline-ms']).toMatch(/^\d+$/);
  });

  it("still pass on the caller's trace when a propagator and a context carry one", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const remote: SpanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    };
    const headers = await context.with(trace.setSpanContext(ROOT_CONTEXT, remote), echoedHeaders);
    expect(headers['traceparent']).toBe(`00-${remote.traceId}-${remote.spanId}-01`);
  });

  it('trace once an SDK registers after the mesh was created', async () => {
    await echoedHeaders();
    const tracing = installInMemoryTracing();
    const headers = await echoedHeaders();
    const spans = await tracing.finishedSpans();
    expect(spans.map((span) => span.name).sort()).toEqual(['GET', 'mesh.call shop']);
    const attempt = spans.find((span) => span.name === 'GET')!;
    expect(headers['traceparent']).toBe(
      `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
    );
  });
});
