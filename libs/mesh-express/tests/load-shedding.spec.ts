import {
  EventLoopDelayMonitor,
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  ServerState,
  type MeshMiddleware,
  type MeshMiddlewareOptions,
} from '../src/index.js';
import express from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';
import { listenOnLoopback, sleep, waitFor, type Loopback } from './support/loopback.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Holding the event loop on purpose.
  }
}

interface Harness {
  state: ServerState;
  server: Loopback;
  middleware: MeshMiddleware;
  /** Resolves every request parked on /hold. */
  release(): void;
}

async function start(options: Omit<MeshMiddlewareOptions, 'state'>): Promise<Harness> {
  const state = new ServerState({ service: 'shop' });
  state.markRegistered('shop-test');
  const middleware = meshMiddleware({ state, ...options });
  let release!: () => void;
  let held = new Promise<void>((resolve) => (release = resolve));
  const app = express();
  app.use(middleware);
  app.use(meshAdminRoutes({ state, metrics: new Registry(), collectDefaultMetrics: false }));
  app.get('/hold', async (_req, res) => {
    await held;
    res.json({ held: true });
  });
  app.get('/work', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/saturate', async (_req, res) => {
    // A loop kept busy by many callbacks, as under real overload: each turn blocks 60 ms.
    for (let turn = 0; turn < 8; turn++) {
      busyWait(60);
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.json({ ok: true });
  });
  app.use(meshErrorHandler({ logger: captureLogger() }));
  const server = await listenOnLoopback(app);
  cleanups.push(
    () => server.close(),
    () => middleware.close(),
  );
  return {
    state,
    server,
    middleware,
    release: () => {
      release();
      held = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

describe('load shedding', () => {
  it('sheds a request beyond maxConcurrent with 503, Retry-After 1 and the limit named', async () => {
    const { state, server, release } = await start({ maxConcurrent: 2 });
    const parked = [fetch(`${server.url}/hold`), fetch(`${server.url}/hold`)];
    await waitFor(() => state.inFlight === 2, 'two requests in flight');

    const shed = await request(server.url).get('/work');
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.body).toEqual({
      error: {
        code: 'ERR_SERVER_OVERLOADED',
        message: expect.stringContaining('maxConcurrent=2'),
        limit: 'maxConcurrent',
      },
    });
    expect(state.shed.maxConcurrent).toBe(1);

    release();
    expect((await Promise.all(parked)).map((response) => response.status)).toEqual([200, 200]);
    await waitFor(() => state.inFlight === 0, 'no request in flight');
    expect((await request(server.url).get('/work')).status).toBe(200);
  });

  it('never sheds health, readiness, metrics or the admin view', async () => {
    let delayMs = 0;
    const { state, server, release } = await start({
      maxConcurrent: 1,
      maxEventLoopDelayMs: 5,
      eventLoopDelay: { delayMs: () => delayMs },
    });
    const parked = fetch(`${server.url}/hold`);
    await waitFor(() => state.inFlight === 1, 'one request in flight');
    delayMs = 10_000;
    expect((await request(server.url).get('/work')).status).toBe(503);
    for (const path of ['/healthz', '/readyz', '/metrics', '/mesh']) {
      expect((await request(server.url).get(path)).status, path).toBe(200);
    }
    const metrics = await request(server.url).get('/metrics');
    expect(metrics.text).toContain('trellis_server_requests_shed_total{limit="maxConcurrent"} 1');
    release();
    await parked;
  });

  it('sheds while the event loop delay is above maxEventLoopDelayMs (injected monitor)', async () => {
    let delayMs = 0;
    const { state, server } = await start({
      maxEventLoopDelayMs: 100,
      eventLoopDelay: { delayMs: () => delayMs },
    });
    expect((await request(server.url).get('/work')).status).toBe(200);
    delayMs = 250;
    const shed = await request(server.url).get('/work');
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.body.error).toMatchObject({
      code: 'ERR_SERVER_OVERLOADED',
      limit: 'maxEventLoopDelayMs',
      message: expect.stringContaining('event loop delay p99 250 ms'),
    });
    expect(state.shed.maxEventLoopDelayMs).toBe(1);
    delayMs = 100;
    expect((await request(server.url).get('/work')).status).toBe(200);
  });

  it('sheds after a handler saturates the event loop, then recovers (real monitor)', async () => {
    const { server } = await start({ maxEventLoopDelayMs: 40 });
    // Let the monitor collect a calm baseline first.
    await sleep(200);
    expect((await request(server.url).get('/work')).status).toBe(200);

    expect((await request(server.url).get('/saturate')).status).toBe(200);
    const shed = await request(server.url).get('/work');
    expect(shed.status).toBe(503);
    expect(shed.body.error.limit).toBe('maxEventLoopDelayMs');
    expect((await request(server.url).get('/healthz')).status).toBe(200);

    // The windows are 1 s: within about two of them the reading is calm again.
    await waitFor(
      async () => (await request(server.url).get('/work')).status === 200,
      'the delay reading to recover',
      4_000,
    );
  });

  it('stops counting a request whose client went away', async () => {
    const { state, server, release } = await start({ maxConcurrent: 1 });
    const controller = new AbortController();
    const parked = fetch(`${server.url}/hold`, { signal: controller.signal }).catch(
      () => undefined,
    );
    await waitFor(() => state.inFlight === 1, 'one request in flight');
    controller.abort();
    await parked;
    await waitFor(() => state.inFlight === 0, 'the aborted request to be released');
    expect((await request(server.url).get('/work')).status).toBe(200);
    release();
  });
});

describe('EventLoopDelayMonitor', () => {
  it('reads low on a calm loop, high while the loop is kept busy, and recovers', async () => {
    const monitor = new EventLoopDelayMonitor({ windowMs: 300 });
    cleanups.push(() => monitor.close());
    await sleep(150);
    expect(monitor.delayMs()).toBeLessThan(20);
    for (let turn = 0; turn < 5; turn++) {
      busyWait(50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await sleep(15);
    expect(monitor.delayMs()).toBeGreaterThan(30);
    await waitFor(() => monitor.delayMs() < 20, 'the reading to recover', 2_000);
  });
});
