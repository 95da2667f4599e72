import { request as httpRequest } from 'node:http';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { meshAdminRoutes, meshErrorHandler, meshMiddleware, ServerState } from '../src/index.js';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.dispose();
});

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const GARBAGE = [
  'garbage',
  '',
  '00',
  '00-xyz-abc-01',
  '00-00000000000000000000000000000000-0000000000000000-01',
  'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
  `${VALID}-extra-fields`,
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz',
  '-'.repeat(55),
  '00-'.repeat(2_000),
  '\u00ff\u00fe\u00fd',
];

/**
 * The service stack, with the W3C propagator the OpenTelemetry http instrumentation uses run
 * first, the way the instrumentation runs before any middleware; it reports what it extracted.
 */
function tracedApp(): Express {
  const propagator = new W3CTraceContextPropagator();
  const state = new ServerState({ service: 'shop' });
  const app = express();
  app.use((req, res, next) => {
    const fields: Record<string, string> = {};
    propagator.inject(propagator.extract(rootContext, req.headers, headerGetter), fields, {
      set: (carrier, key, value) => ((carrier as Record<string, string>)[key] = value),
    });
    res.locals['extracted'] = fields['traceparent'] ?? null;
    next();
  });
  app.use(meshMiddleware({ state, maxConcurrent: 10 }));
  app.use(meshAdminRoutes({ state }));
  app.get('/work', (_req, res) => {
    res.json({ extracted: res.locals['extracted'] as string | null });
  });
  app.use(meshErrorHandler({ logger: captureLogger() }));
  return app;
}

const headerGetter = {
  get: (carrier: unknown, key: string): string | string[] | undefined =>
    (carrier as Record<string, string | string[] | undefined>)[key],
  keys: (carrier: unknown): string[] => Object.keys(carrier as object),
};

interface Context {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): Context;
  deleteValue(key: symbol): Context;
}

/** An immutable context like @opentelemetry/api's (not a dependency of this library). */
function contextOf(values: ReadonlyMap<symbol, unknown>): Context {
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => contextOf(new Map(values).set(key, value)),
    deleteValue: (key) => {
      const next = new Map(values);
      next.delete(key);
      return contextOf(next);
    },
  };
}

const rootContext = contextOf(new Map());

describe('W3C trace context', () => {
  it('a valid traceparent is extracted (the check below is not vacuous)', async () => {
    const response = await request(tracedApp()).get('/work').set('traceparent', VALID);
    expect(response.status).toBe(200);
    expect(response.body.extracted).toBe(VALID);
  });

  it.each(GARBAGE.map((value) => [value.length > 40 ? `${value.slice(0, 40)}...` : value, value]))(
    'a garbage traceparent %j gets a normal 200 and starts a new trace',
    async (_label, value) => {
      const response = await request(tracedApp())
        .get('/work')
        .set('traceparent', value)
        .set('tracestate', value);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ extracted: null });
    },
  );

  it('a repeated traceparent header gets a normal 200', async () => {
    const state = new ServerState({ service: 'shop' });
    const server = await startTestServer(tracedApp(), { state });
    servers.push(server);
    expect(await get(server.handle.url, { traceparent: [VALID, 'junk', VALID] })).toBe(200);
  });
});

/** Sends one GET /work over a fresh connection; resolves with the status. */
function get(url: string, headers: Record<string, string | string[]>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/work`, { headers, agent: false });
    req.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

const getWithHeader = (url: string, size: number): Promise<number> =>
  get(url, { 'x-padding': 'a'.repeat(size) });

describe('oversized headers', () => {
  it('answers 431 past maxHeaderSize and keeps serving', async () => {
    const state = new ServerState({ service: 'shop' });
    const server = await startTestServer(tracedApp(), { state, maxHeaderSize: 4_096 });
    servers.push(server);
    expect(await getWithHeader(server.handle.url, 1_000)).toBe(200);
    expect(await getWithHeader(server.handle.url, 8_000)).toBe(431);
    expect(await getWithHeader(server.handle.url, 8_000)).toBe(431);
    expect(await getWithHeader(server.handle.url, 1_000)).toBe(200);
    expect(server.exitCodes).toEqual([]);
  });

  it("uses Node's default limit (16 KiB) when maxHeaderSize is not set", async () => {
    const state = new ServerState({ service: 'shop' });
    const server = await startTestServer(tracedApp(), { state });
    servers.push(server);
    expect(await getWithHeader(server.handle.url, 8_000)).toBe(200);
    expect(await getWithHeader(server.handle.url, 20_000)).toBe(431);
    expect(await getWithHeader(server.handle.url, 100)).toBe(200);
  });
});
