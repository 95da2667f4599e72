import { createMesh, DEADLINE_HEADER, silentLogger, type Mesh } from '@trellis/mesh';
import { deadlineMiddleware, meshErrorHandler } from '../src/index.js';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';
import { listenOnLoopback, sleep, type Loopback } from './support/loopback.js';

/** The downstream service: reports the budget it was given, after an optional delay. */
let downstream: Loopback;
let mesh: Mesh;

beforeAll(async () => {
  downstream = await listenOnLoopback((req, res) => {
    const delayMs = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    req.resume();
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ deadline: req.headers[DEADLINE_HEADER] ?? null }));
    }, delayMs);
  });
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    upstreams: { down: { endpoints: `127.0.0.1:${downstream.port}`, retries: false } },
  });
});

afterAll(async () => {
  await mesh.close({ force: true });
  await downstream.close();
});

/** An app whose handlers call the downstream service through the mesh. */
function appWith(options: Parameters<typeof deadlineMiddleware>[0] = {}): Express {
  const app = express();
  app.use(deadlineMiddleware(options));
  app.use(express.json());
  const callDownstream = async (query: string): Promise<{ deadline: string | null }> =>
    mesh.client('down').json<{ deadline: string | null }>({ path: `/${query}` });
  app.get('/call', async (req, res) => {
    await sleep(50);
    const delay = typeof req.query['delay'] === 'string' ? `?delay=${req.query['delay']}` : '';
    res.json({ downstream: (await callDownstream(delay)).deadline });
  });
  app.post('/call', async (req, res) => {
    res.json({ body: req.body as unknown, downstream: (await callDownstream('')).deadline });
  });
  app.use(meshErrorHandler({ logger: captureLogger() }));
  return app;
}

describe('deadline middleware', () => {
  it('answers 504 at once when the request arrives with no time left', async () => {
    const response = await request(appWith()).get('/call').set(DEADLINE_HEADER, '0');
    expect(response.status).toBe(504);
    expect(response.body).toEqual({
      error: { code: 'ERR_DEADLINE_EXCEEDED', message: expect.stringContaining('no time left') },
    });
  });

  it.each(['abc', '-5', '1.5', '10, 20', '999999999999'])(
    'answers 400 with the parser reason for the malformed value %j',
    async (value) => {
      const response = await request(appWith()).get('/call').set(DEADLINE_HEADER, value);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('ERR_INVALID_DEADLINE');
      expect(response.body.error.message).toContain(DEADLINE_HEADER);
    },
  );

  it('runs the handler under the caller deadline: a mesh call downstream gets a smaller budget', async () => {
    const response = await request(appWith()).get('/call').set(DEADLINE_HEADER, '5000');
    expect(response.status).toBe(200);
    const budget = Number(response.body.downstream);
    // The handler spent 50 ms before calling: what travels on is what is left.
    expect(budget).toBeGreaterThan(4_000);
    expect(budget).toBeLessThanOrEqual(4_950);
  });

  it('keeps the deadline across body parsing (express.json)', async () => {
    const response = await request(appWith())
      .post('/call')
      .set(DEADLINE_HEADER, '3000')
      .send({ sku: 'tea' });
    expect(response.status).toBe(200);
    expect(response.body.body).toEqual({ sku: 'tea' });
    expect(Number(response.body.downstream)).toBeGreaterThan(2_000);
    expect(Number(response.body.downstream)).toBeLessThanOrEqual(3_000);
  });

  it('applies defaultDeadlineMs to a request that came without a deadline', async () => {
    const response = await request(appWith({ defaultDeadlineMs: 2_000 })).get('/call');
    expect(response.status).toBe(200);
    expect(Number(response.body.downstream)).toBeGreaterThan(1_000);
    expect(Number(response.body.downstream)).toBeLessThanOrEqual(1_950);
  });

  it('prefers the caller deadline over the default', async () => {
    const response = await request(appWith({ defaultDeadlineMs: 2_000 }))
      .get('/call')
      .set(DEADLINE_HEADER, '8000');
    expect(Number(response.body.downstream)).toBeGreaterThan(7_000);
  });

  it('without a deadline or a default, the mesh call uses its own timeout (10 s)', async () => {
    const response = await request(appWith()).get('/call');
    expect(Number(response.body.downstream)).toBeGreaterThan(9_000);
  });

  it('answers 504 when the budget runs out during a downstream call', async () => {
    const started = Date.now();
    const response = await request(appWith()).get('/call?delay=2000').set(DEADLINE_HEADER, '300');
    expect(response.status).toBe(504);
    expect(response.body.error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
