import { createMesh, silentLogger, type Mesh } from '@trellis/mesh';
import { meshAdminRoutes, meshMiddleware, ServerState } from '../src/index.js';
import express, { type Express } from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback, type Loopback } from './support/loopback.js';

let upstream: Loopback;
let mesh: Mesh;

beforeAll(async () => {
  upstream = await listenOnLoopback((_req, res) => res.end('ok'));
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    upstreams: { catalog: { endpoints: `127.0.0.1:${upstream.port}` } },
  });
  await (await mesh.client('catalog').request({ path: '/' })).body.dump();
});

afterAll(async () => {
  await mesh.close({ force: true });
  await upstream.close();
});

function adminApp(state: ServerState, registry = new Registry()): Express {
  const app = express();
  app.use(meshMiddleware({ state }));
  app.use(meshAdminRoutes({ state, mesh, metrics: registry }));
  return app;
}

describe('admin routes', () => {
  it('GET /healthz answers 200 while the process is alive, draining or not', async () => {
    const state = new ServerState({ service: 'catalog' });
    const app = adminApp(state);
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    state.startDraining();
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('GET /readyz is 503 until registered, 200 when registered, 503 with the reason when draining', async () => {
    const state = new ServerState({ service: 'catalog' });
    const app = adminApp(state);

    const before = await request(app).get('/readyz');
    expect(before.status).toBe(503);
    expect(before.body).toEqual({ status: 'not-ready', reason: 'not registered in discovery yet' });

    state.markRegistered('catalog-abc');
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', service: 'catalog', instance: 'catalog-abc' });

    state.startDraining();
    const draining = await request(app).get('/readyz');
    expect(draining.status).toBe(503);
    expect(draining.body.reason).toMatch(/^draining/);
    expect(draining.headers['connection']).toBe('close');
  });

  it('GET /metrics serves the registry in its content type, with process and server metrics', async () => {
    const registry = new Registry();
    const state = new ServerState({ service: 'catalog' });
    const response = await request(adminApp(state, registry)).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(registry.contentType);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).toContain('trellis_server_requests_in_flight 1');
    expect(response.text).toContain('trellis_server_draining 0');
  });

  it('registers the default metrics once per registry, and only when asked', async () => {
    const registry = new Registry();
    const state = new ServerState({ service: 'catalog' });
    adminApp(state, registry);
    expect(() => adminApp(state, registry)).not.toThrow();
    const bare = new Registry();
    const app = express().use(
      meshAdminRoutes({ state, metrics: bare, collectDefaultMetrics: false }),
    );
    const response = await request(app).get('/metrics');
    expect(response.text).not.toContain('process_cpu_user_seconds_total');
    expect(response.text).toContain('trellis_server_requests_shed_total');
  });

  it('has no /metrics route without a registry', async () => {
    const state = new ServerState({ service: 'catalog' });
    const app = express().use(meshAdminRoutes({ state }));
    expect((await request(app).get('/metrics')).status).toBe(404);
  });

  it('GET /mesh shows this server and the mesh view of its upstreams', async () => {
    const state = new ServerState({ service: 'catalog' });
    state.markRegistered('catalog-abc');
    const response = await request(adminApp(state)).get('/mesh');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      service: 'catalog',
      instance: 'catalog-abc',
      ready: true,
      draining: false,
      inFlight: 1,
      shed: { maxConcurrent: 0, maxEventLoopDelayMs: 0 },
      recentEvents: expect.any(Array),
    });
    expect(response.body.upstreams.map((view: { name: string }) => view.name)).toEqual(
      mesh.snapshot().map((view) => view.name),
    );
    expect(response.body.upstreams[0]).toMatchObject({
      name: 'catalog',
      endpoints: [expect.objectContaining({ sent: 1 })],
    });
  });

  it('GET /mesh works without a mesh', async () => {
    const state = new ServerState({ service: 'catalog' });
    const response = await request(express().use(meshAdminRoutes({ state }))).get('/mesh');
    expect(response.body).toMatchObject({ instance: null, upstreams: [], recentEvents: [] });
  });
});
