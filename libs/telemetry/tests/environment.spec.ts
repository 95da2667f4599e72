import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, SpanKind } from './support/otlp-receiver.js';
import {
  buildPackages,
  closedPort,
  killLeftovers,
  madeUpTraceparent,
  otelEnv,
  Service,
} from './support/services.js';

/** Starts back then front with the same extra variables, and runs one call through both. */
async function runChain(endpoint: string, extra: Record<string, string>) {
  const back = await Service.start('back', '--import', 'back.mjs', {
    ...otelEnv(endpoint, 'back'),
    ...extra,
  });
  const front = await Service.start('front', '--require', 'front.cjs', {
    ...otelEnv(endpoint, 'front'),
    ...extra,
    BACK_ENDPOINTS: `127.0.0.1:${back.port}`,
  });
  const caller = madeUpTraceparent();
  const response = await fetch(`http://127.0.0.1:${front.port}/chain`, {
    headers: { traceparent: caller.traceparent },
  });
  const answer = { status: response.status, body: (await response.json()) as unknown };
  const started = Date.now();
  const [frontExit, backExit] = await Promise.all([front.stop(), back.stop()]);
  return { front, back, caller, answer, frontExit, backExit, stopMs: Date.now() - started };
}

const chainAnswer = { status: 200, body: { front: 'ok', back: { back: 'ok' } } };

beforeAll(() => buildPackages(), 120_000);
afterEach(() => killLeftovers());

describe('the preload, configured by OTEL_* variables only', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(() => receiver.close());

  it('starts nothing when OTEL_SDK_DISABLED=true, and the app still runs', async () => {
    const run = await runChain(receiver.endpoint, { OTEL_SDK_DISABLED: 'true' });

    expect(run.front.telemetry).toBe('disabled');
    expect(run.back.telemetry).toBe('disabled');
    expect(run.answer).toEqual(chainAnswer);
    // No SIGTERM handler was installed in back: the signal ends it by default, as without us.
    expect(run.frontExit).toEqual({ code: 0, signal: null });
    expect(run.backExit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(receiver.requests).toEqual([]);
    // Logs still work, only without trace fields.
    const line = run.front.logLines().find((each) => each.msg === 'back answered');
    expect(line).toMatchObject({ service: 'front' });
    expect(line).not.toHaveProperty('trace_id');
    expect(run.front.stderr + run.back.stderr).toBe('');
  });

  it('keeps serving with an invalid OTEL_TRACES_SAMPLER_ARG: a warning, and the default ratio', async () => {
    const run = await runChain(receiver.endpoint, {
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 'most of them',
    });

    expect(run.answer).toEqual(chainAnswer);
    expect(run.frontExit).toEqual({ code: 0, signal: null });
    expect(run.backExit).toEqual({ code: null, signal: 'SIGTERM' });
    for (const service of [run.front, run.back]) {
      expect(service.telemetry).toBe('running');
      expect(service.stderr).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    }
    // The ratio falls back to 1: the call was traced end to end.
    const traced = receiver.spans.filter((span) => span.traceId === run.caller.traceId);
    expect(new Set(traced.map((span) => span.service))).toEqual(new Set(['front', 'back']));
  });
});

describe('a process that ends on its own', () => {
  it('flushes its spans before exiting, with no handler and no explicit shutdown', async () => {
    const receiver = await OtlpReceiver.start();
    try {
      const script = await Service.start('oneshot', '--import', 'oneshot.mjs', {
        ...otelEnv(receiver.endpoint, 'oneshot'),
        OTEL_BSP_SCHEDULE_DELAY: '60000', // nothing would leave before exit without the flush
      });
      expect(await script.exited).toEqual({ code: 0, signal: null });
      expect(script.stdout).toContain('once');
      const spans = receiver.spansOf('oneshot');
      // fetch's CLIENT span (undici instrumentation), and the SERVER span it caused.
      const client = spans.find((span) => span.kind === SpanKind.CLIENT);
      const server = spans.find((span) => span.kind === SpanKind.SERVER);
      expect(spans).toHaveLength(2);
      expect(client?.scope).toBe('@opentelemetry/instrumentation-undici');
      expect(server?.parentSpanId).toBe(client?.spanId);
      expect(server?.traceId).toBe(client?.traceId);
    } finally {
      await receiver.close();
    }
  });
});

describe('an exporter endpoint nothing listens on', () => {
  it('does not stop the app from serving, and it still exits promptly and cleanly', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const run = await runChain(unreachable, {
      // Bounds each export, and so how long shutdown may spend on retries.
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    });

    expect(run.front.telemetry).toBe('running');
    expect(run.back.telemetry).toBe('running');
    expect(run.answer).toEqual(chainAnswer);
    expect(run.frontExit).toEqual({ code: 0, signal: null });
    expect(run.backExit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.stopMs).toBeLessThan(10_000);
    // At most warnings: nothing crashed.
    for (const service of [run.front, run.back]) {
      expect(service.stderr).not.toMatch(/Uncaught|unhandled|TypeError|RangeError/i);
    }
  });
});
