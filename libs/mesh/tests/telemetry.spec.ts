import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMesh, silentLogger, type Mesh } from '../src/index.js';
import { ControlledResolver, startReplicas, type Replica } from './support/replicas.js';
import { installInMemoryTracing } from './support/tracing.js';

let tracing: ReturnType<typeof installInMemoryTracing>;
let replicas: Replica[] = [];
let mesh: Mesh | undefined;

beforeAll(() => {
  tracing = installInMemoryTracing();
});

beforeEach(() => tracing.exporter.reset());

afterEach(async () => {
  await mesh?.close({ force: true });
  mesh = undefined;
  await Promise.all(replicas.map((replica) => replica.close()));
  replicas = [];
});

describe('tracing', () => {
  it('makes one logical span per call and one CLIENT span per attempt, and propagates traceparent', async () => {
    replicas = await startReplicas(1, 'r');
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { shop: { endpoints: [replicas[0]!.endpoint] } },
    });
    const answer = await mesh
      .client('shop')
      .json<{ headers: Record<string, string> }>({ path: '/items?id=3' });
    const spans = await tracing.finishedSpans();
    const call = spans.find((span) => span.name === 'mesh.call shop')!;
    const attempts = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(call.kind).toBe(SpanKind.INTERNAL);
    expect(call.attributes).toMatchObject({
      'trellis.upstream': 'shop',
      'http.request.method': 'GET',
      'trellis.attempts': 1,
    });
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0]!;
    expect(attempt.name).toBe('GET');
    expect(attempt.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': replicas[0]!.port,
      'url.full': `http://127.0.0.1:${replicas[0]!.port}/items?id=3`,
      'http.response.status_code': 200,
    });
    expect(attempt.attributes['http.request.resend_count']).toBeUndefined();
    expect(attempt.attributes).toMatchObject({
      'trellis.endpoint': `127.0.0.1:${replicas[0]!.port}`,
      'trellis.balancer': 'peak-ewma',
      'trellis.eligible_endpoints': 1,
      'trellis.panic': false,
      'trellis.endpoint.pending': 0,
    });
    expect(attempt.attributes['trellis.endpoint.ewma_ms']).toEqual(expect.any(Number));
    const traceparent = answer.headers['traceparent']!;
    expect(traceparent).toBe(
      `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
    );
  });

  it('marks retries with http.request.resend_count and records the decision on the call span', async () => {
    replicas = await startReplicas(2, 'r');
    replicas[0]!.status = 503;
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: {
        shop: {
          resolver: new ControlledResolver(replicas.map((r) => r.endpoint)),
          balancer: 'round-robin',
        },
      },
    });
    // Round-robin alternates, so one of two calls meets the 503 replica first.
    for (let i = 0; i < 2; i++) await (await mesh.client('shop').get('/')).body.dump();
    const spans = await tracing.finishedSpans();
    const call = spans.find(
      (span) => span.name === 'mesh.call shop' && span.attributes['trellis.attempts'] === 2,
    )!;
    const attempts = spans.filter(
      (span) =>
        span.kind === SpanKind.CLIENT &&
        span.parentSpanContext?.spanId === call.spanContext().spanId,
    );
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([
      503, 200,
    ]);
    expect(attempts.map((span) => span.attributes['http.request.resend_count'])).toEqual([
      undefined,
      1,
    ]);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]!.attributes['error.type']).toBe('503');
    const retry = call.events.find((event) => event.name === 'trellis.retry')!;
    expect(retry.attributes).toMatchObject({ 'trellis.reason': 'status', 'trellis.attempt': 2 });
    expect(call.attributes['trellis.attempts']).toBe(2);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a failed call with error.type and its code', async () => {
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { shop: { endpoints: '127.0.0.1:1', retries: false } },
    });
    await mesh
      .client('shop')
      .get('/')
      .catch(() => undefined);
    const call = (await tracing.finishedSpans()).find((span) => span.name === 'mesh.call shop')!;
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.attributes['error.type']).toBe('ERR_UPSTREAM_REQUEST');
  });
});

describe('metrics', () => {
  it('counts calls by upstream, method and status class on the registry given, never by address', async () => {
    replicas = await startReplicas(3, 'r');
    replicas[0]!.status = 503;
    const registry = new Registry();
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      metrics: { registry },
      upstreams: {
        shop: {
          resolver: new ControlledResolver(replicas.map((r) => r.endpoint)),
          balancer: 'round-robin',
          outlierDetection: { consecutiveFailures: 2 },
        },
      },
    });
    const shop = mesh.client('shop');
    for (let i = 0; i < 12; i++) await (await shop.get('/')).body.dump();
    await (await shop.post('/orders', { json: {} })).body.dump().catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toMatch(
      /trellis_client_requests_total\{upstream="shop",http_request_method="GET",http_response_status_class="2xx"\} 12/,
    );
    expect(text).toMatch(
      /http_client_request_duration_seconds_bucket\{le="0\.005",upstream="shop",http_request_method="GET",http_response_status_class="2xx"\}/,
    );
    expect(text).toMatch(/http_client_request_duration_seconds_bucket\{le="10",/);
    expect(text).toMatch(/trellis_client_retries_total\{upstream="shop",reason="status"\} [1-9]/);
    expect(text).toMatch(
      /trellis_endpoint_ejections_total\{upstream="shop",reason="consecutive-failures"\} 1/,
    );
    expect(text).toMatch(/trellis_upstream_endpoints\{upstream="shop",state="ejected"\} 1/);
    expect(text).toMatch(/trellis_upstream_endpoints\{upstream="shop",state="healthy"\} 2/);
    expect(text).toMatch(/trellis_upstream_breaker_state\{upstream="shop",state="closed"\} 1/);
    expect(text).toMatch(/trellis_client_requests_in_flight\{upstream="shop"\} 0/);
    expect(text).not.toMatch(/127\.0\.0\.1/);
  });

  it('shows calls in flight while they wait, and counts every status class, a failed call and an unknown method', async () => {
    replicas = await startReplicas(1, 'r');
    const replica = replicas[0]!;
    const registry = new Registry();
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      metrics: { registry },
      upstreams: {
        shop: { endpoints: [replica.endpoint], retries: false, breaker: false },
        gone: {
          endpoints: [{ address: '127.0.0.1', port: 1 }],
          retries: false,
          outlierDetection: false,
        },
      },
    });
    const shop = mesh.client('shop');
    replica.delayMs = 300;
    const waiting = [shop.get('/'), shop.get('/'), shop.request({ method: 'PURGE', path: '/' })];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = await registry.metrics();
    expect(during).toMatch(/trellis_client_requests_in_flight\{upstream="shop"\} 3/);
    expect(during).not.toMatch(/trellis_client_requests_total\{/);
    for (const response of await Promise.all(waiting)) await response.body.dump();
    replica.delayMs = 0;
    replica.status = 503;
    await (await shop.get('/')).body.dump();
    replica.status = 404;
    await (await shop.get('/')).body.dump();
    await expect(mesh.client('gone').get('/')).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REQUEST',
    });
    const after = await registry.metrics();
    const count = (upstream: string, method: string, status: string) =>
      new RegExp(
        `trellis_client_requests_total\\{upstream="${upstream}",http_request_method="${method}",http_response_status_class="${status}"\\} (\\d+)`,
      ).exec(after)?.[1];
    expect(count('shop', 'GET', '2xx')).toBe('2');
    expect(count('shop', '_OTHER', '2xx')).toBe('1');
    expect(count('shop', 'GET', '5xx')).toBe('1');
    expect(count('shop', 'GET', '4xx')).toBe('1');
    expect(count('gone', 'GET', 'error')).toBe('1');
    expect(after).toMatch(/trellis_client_requests_in_flight\{upstream="shop"\} 0/);
    expect(after).toMatch(/trellis_client_requests_in_flight\{upstream="gone"\} 0/);
    // The duration histogram counts the same calls the counter does.
    expect(after).toMatch(
      /http_client_request_duration_seconds_count\{upstream="shop",http_request_method="GET",http_response_status_class="2xx"\} 2/,
    );
  });

  it('refuses a registry that already holds the mesh metrics', () => {
    const registry = new Registry();
    mesh = createMesh({ discovery: [], logger: silentLogger, metrics: { registry } });
    expect(() =>
      createMesh({ discovery: [], logger: silentLogger, metrics: { registry } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_METRICS_REGISTERED' }));
  });
});
