import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, SpanKind, type ReceivedSpan } from './support/otlp-receiver.js';
import {
  buildPackages,
  killLeftovers,
  madeUpTraceparent,
  otelEnv,
  Service,
  type Exit,
} from './support/services.js';

const EXPRESS_SCOPE = '@opentelemetry/instrumentation-express';
const UNDICI_SCOPE = '@opentelemetry/instrumentation-undici';

interface ChainAnswer {
  readonly status: number;
  readonly body: unknown;
}

async function get(port: number, path: string, traceparent: string): Promise<ChainAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { traceparent } });
  return { status: response.status, body: await response.json() };
}

/** The spans of `spans` whose parent chain (through any process) reaches `ancestor`. */
function isDescendant(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  let parent = byId.get(span.parentSpanId);
  while (parent) {
    if (parent.spanId === ancestor.spanId) return true;
    parent = byId.get(parent.parentSpanId);
  }
  return false;
}

beforeAll(() => buildPackages(), 120_000);
afterAll(() => killLeftovers());

describe('a two-hop chain, front (CommonJS, --require) -> back (ESM, --import)', () => {
  const caller = madeUpTraceparent();
  let receiver: OtlpReceiver;
  let front: Service;
  let back: Service;
  const answers: ChainAnswer[] = [];
  const exits: { front?: Exit; back?: Exit } = {};

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    back = await Service.start('back', '--import', 'back.mjs', otelEnv(receiver.endpoint, 'back'));
    front = await Service.start('front', '--require', 'front.cjs', {
      ...otelEnv(receiver.endpoint, 'front'),
      BACK_ENDPOINTS: `127.0.0.1:${back.port}`,
    });
    // A plain call, then one that back fails once so the mesh retries it.
    answers.push(await get(front.port, '/chain', caller.traceparent));
    answers.push(await get(front.port, '/chain?flaky=1', caller.traceparent));
    // And one outside the mesh, which undici instrumentation must trace.
    answers.push(await get(front.port, '/direct', caller.traceparent));
    // Spans are flushed on shutdown: nothing is awaited from the receiver before this.
    [exits.front, exits.back] = await Promise.all([front.stop(), back.stop()]);
  }, 60_000);

  afterAll(() => receiver?.close());

  const frontSpans = () => receiver.spansOf('front');
  const backSpans = () => receiver.spansOf('back');
  const frontClientSpans = () => frontSpans().filter((span) => span.kind === SpanKind.CLIENT);
  const backServerSpans = () => backSpans().filter((span) => span.kind === SpanKind.SERVER);

  it('answers through both hops and both processes exit cleanly on SIGTERM', () => {
    expect(front.telemetry).toBe('running');
    expect(back.telemetry).toBe('running');
    expect(answers).toEqual([
      { status: 200, body: { front: 'ok', back: { back: 'ok' } } },
      { status: 200, body: { front: 'ok', back: { back: 'ok' } } },
      { status: 200, body: { front: 'ok', back: { back: 'ok' } } },
    ]);
    // front drains itself and calls shutdownTelemetry(); back has no handler, so the preload
    // flushes and lets SIGTERM end it as it would have.
    expect(exits.front).toEqual({ code: 0, signal: null });
    expect(exits.back).toEqual({ code: null, signal: 'SIGTERM' });
    expect(receiver.errors).toEqual([]);
  });

  it("puts every span of both processes in the caller's trace", () => {
    expect(frontSpans().length).toBeGreaterThan(0);
    expect(backSpans().length).toBeGreaterThan(0);
    expect(new Set(receiver.spans.map((span) => span.traceId))).toEqual(new Set([caller.traceId]));
  });

  it("makes front's http SERVER spans children of the caller's span", () => {
    const servers = frontSpans().filter(
      (span) =>
        span.kind === SpanKind.SERVER && span.scope === '@opentelemetry/instrumentation-http',
    );
    expect(servers).toHaveLength(3);
    for (const server of servers) expect(server.parentSpanId).toBe(caller.spanId);
  });

  it('records Express spans in both processes, the ESM one included', () => {
    const frontExpress = frontSpans().filter((span) => span.scope === EXPRESS_SCOPE);
    const backExpress = backSpans().filter((span) => span.scope === EXPRESS_SCOPE);
    expect(frontExpress.length).toBeGreaterThan(0);
    expect(backExpress.length).toBeGreaterThan(0);
    // Each under its own process's SERVER span.
    for (const [own, all] of [
      [frontExpress, frontSpans()],
      [backExpress, backSpans()],
    ] as const) {
      for (const span of own) {
        const server = all.find(
          (each) => each.kind === SpanKind.SERVER && isDescendant(span, each, all),
        );
        expect(server, `${span.service} ${span.name}`).toBeDefined();
      }
    }
  });

  it("makes back's SERVER spans descendants of CLIENT spans in front", () => {
    const servers = backServerSpans();
    // Four requests reached back: the plain call, the failed first try, its retry, the fetch.
    expect(servers).toHaveLength(4);
    for (const server of servers) {
      const client = frontClientSpans().find((span) => isDescendant(server, span, receiver.spans));
      expect(client, `back SERVER span ${server.spanId}`).toBeDefined();
    }
  });

  it('has exactly one CLIENT span per HTTP request front sent to back', () => {
    const clients = frontClientSpans();
    expect(clients).toHaveLength(backServerSpans().length);
    // ... and each request's SERVER span hangs directly off its own CLIENT span.
    const parents = backServerSpans().map((span) => span.parentSpanId);
    expect(new Set(parents)).toEqual(new Set(clients.map((span) => span.spanId)));
  });

  it('records an undici CLIENT span for a plain fetch outside the mesh, and none for mesh attempts', () => {
    const undiciClients = frontClientSpans().filter((span) => span.scope === UNDICI_SCOPE);
    expect(undiciClients).toHaveLength(1);
    const child = backServerSpans().find((span) => span.parentSpanId === undiciClients[0]!.spanId);
    expect(child).toBeDefined();
  });

  it("logs the active span's trace_id and span_id on every line written inside a request", () => {
    const frontLog = front.logLines().find((line) => line.msg === 'back answered');
    expect(frontLog).toMatchObject({
      service: 'front',
      trace_id: caller.traceId,
      trace_flags: '01',
    });
    expect(frontSpans().map((span) => span.spanId)).toContain(frontLog?.span_id);
    const backLogs = back.logLines().filter((line) => line.service === 'back');
    expect(backLogs).toHaveLength(4);
    for (const line of backLogs) {
      expect(line.trace_id).toBe(caller.traceId);
      expect(backSpans().map((span) => span.spanId)).toContain(line.span_id);
    }
  });

  it('carries the mesh call and attempt spans, with their attributes and decision events', () => {
    const spans = frontSpans();
    const calls = spans.filter((span) => span.name === 'mesh.call back');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.kind).toBe(SpanKind.INTERNAL);
      expect(call.attributes['trellis.upstream']).toBe('back');
      // Inside the request that made the call.
      const server = spans.find(
        (span) => span.kind === SpanKind.SERVER && isDescendant(call, span, spans),
      );
      expect(server).toBeDefined();
      for (const event of call.events) expect(event.name).toMatch(/^(trellis\.|exception$)/);
    }

    const attempts = spans.filter(
      (span) => span.kind === SpanKind.CLIENT && span.scope !== UNDICI_SCOPE,
    );
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      expect(attempt.name).toBe('GET');
      expect(calls.map((call) => call.spanId)).toContain(attempt.parentSpanId);
      expect(attempt.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': back.port,
      });
      expect(String(attempt.attributes['url.full'])).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${back.port}/data`),
      );
      expect(attempt.attributes['trellis.endpoint']).toBe(`127.0.0.1:${back.port}`);
      for (const event of attempt.events) expect(event.name).toMatch(/^(trellis\.|exception$)/);
    }

    // The plain call: one attempt, 200, not a resend.
    const [plainCall, flakyCall] = calls.sort(
      (a, b) => attemptsOf(a, attempts).length - attemptsOf(b, attempts).length,
    );
    const [plainAttempt] = attemptsOf(plainCall!, attempts);
    expect(plainAttempt!.attributes['http.response.status_code']).toBe(200);
    expect(plainAttempt!.attributes['http.request.resend_count']).toBeUndefined();

    // The flaky call: 503, then a retry marked as the first resend that got 200.
    const flakyAttempts = attemptsOf(flakyCall!, attempts);
    expect(
      flakyAttempts.map((attempt) => attempt.attributes['http.response.status_code']).sort(),
    ).toEqual([200, 503]);
    const first = flakyAttempts.find(
      (attempt) => attempt.attributes['http.response.status_code'] === 503,
    );
    const retry = flakyAttempts.find(
      (attempt) => attempt.attributes['http.response.status_code'] === 200,
    );
    expect(first!.attributes['http.request.resend_count']).toBeUndefined();
    expect(retry!.attributes['http.request.resend_count']).toBe(1);

    // No undici span doubles a mesh attempt: the only one belongs to the plain fetch.
    const undiciSpans = spans.filter((span) => span.scope === UNDICI_SCOPE);
    expect(undiciSpans).toHaveLength(1);
    expect(calls.map((call) => call.spanId)).not.toContain(undiciSpans[0]!.parentSpanId);
    for (const attempt of attempts) {
      expect(undiciSpans.some((span) => span.parentSpanId === attempt.spanId)).toBe(false);
    }
  });
});

function attemptsOf(call: ReceivedSpan, attempts: ReceivedSpan[]): ReceivedSpan[] {
  return attempts.filter((attempt) => attempt.parentSpanId === call.spanId);
}
