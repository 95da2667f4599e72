import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { CatalogStore } from '../src/catalog-store.js';
import { Knobs } from '@trellis/shop-kit';
import { seedProducts } from '../src/products.js';

let mesh: Mesh;
let knobs: Knobs;
let app: ReturnType<typeof buildApp>;

beforeEach(() => {
  mesh = createMesh({ discovery: [] });
  knobs = new Knobs({ latencyMs: 0, errorRate: 0, hang: false }, () => 0.5);
  const state = new ServerState({ service: 'catalog' });
  state.markRegistered('catalog-test');
  app = buildApp({
    store: new CatalogStore(seedProducts()),
    knobs,
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
});

afterEach(() => mesh.close());

describe('catalog routes', () => {
  it('lists the 36 seeded products, and filters by category, text and limit', async () => {
    const all = await request(app).get('/products').expect(200);
    expect(all.body).toHaveLength(36);
    expect(all.body[0]).toMatchObject({ sku: 'tea-01', name: 'Sencha', category: 'tea' });
    expect((await request(app).get('/products?category=coffee').expect(200)).body).toHaveLength(9);
    const found = await request(app).get('/products?q=earl').expect(200);
    expect(found.body.map((product: { name: string }) => product.name)).toEqual(['Earl Grey']);
    expect((await request(app).get('/products?limit=5').expect(200)).body).toHaveLength(5);
  });

  it('returns one product by SKU and 404 for an unknown one', async () => {
    const product = await request(app).get('/products/ware-02').expect(200);
    expect(product.body).toMatchObject({ sku: 'ware-02', name: 'Mug' });
    expect(product.body.priceCents).toBeGreaterThan(0);
    const missing = await request(app).get('/products/tea-99').expect(404);
    expect(missing.body.error.code).toBe('ERR_NO_SUCH_PRODUCT');
  });

  it('reserves stock all or nothing, and answers 409 with what is left', async () => {
    const before = (await request(app).get('/products/tea-01')).body.stock as number;
    const reserved = await request(app)
      .post('/products/tea-01/reservations')
      .send({ qty: 2 })
      .expect(201);
    expect(reserved.body).toEqual({ sku: 'tea-01', reserved: 2, stock: before - 2 });
    const short = await request(app)
      .post('/products/tea-01/reservations')
      .send({ qty: 100 })
      .expect(409);
    expect(short.body.error).toMatchObject({ code: 'ERR_OUT_OF_STOCK', available: before - 2 });
    expect((await request(app).get('/products/tea-01')).body.stock).toBe(before - 2);
  });

  it.each([
    [
      'an unknown query parameter',
      () => request(app).get('/products?colour=red'),
      /unrecognized key/i,
    ],
    ['a limit of 0', () => request(app).get('/products?limit=0'), /limit/],
    ['a limit that is not a number', () => request(app).get('/products?limit=lots'), /limit/],
    ['a malformed SKU', () => request(app).get('/products/DROP TABLE'), /a SKU looks like/],
    [
      'a reservation without qty',
      () => request(app).post('/products/tea-01/reservations').send({}),
      /qty/,
    ],
    [
      'a fractional qty',
      () => request(app).post('/products/tea-01/reservations').send({ qty: 1.5 }),
      /qty/,
    ],
    [
      'a negative qty',
      () => request(app).post('/products/tea-01/reservations').send({ qty: -1 }),
      /qty/,
    ],
    [
      'an extra field',
      () => request(app).post('/products/tea-01/reservations').send({ qty: 1, price: 0 }),
      /unrecognized key/i,
    ],
  ])('answers 400 naming the problem for %s', async (_label, send, message) => {
    const response = await send().expect(400);
    expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(response.body.error.message).toMatch(message);
  });

  it('answers 400 for malformed JSON and 413 for a body over 16 kB', async () => {
    await request(app)
      .post('/products/tea-01/reservations')
      .set('content-type', 'application/json')
      .send('{"qty": ')
      .expect(400);
    await request(app)
      .post('/products/tea-01/reservations')
      .send({ qty: 1, padding: 'x'.repeat(20_000) })
      .expect(413);
  });

  it('serves health, readiness and metrics', async () => {
    await request(app).get('/healthz').expect(200);
    await request(app).get('/readyz').expect(200);
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/# TYPE/);
  });
});

describe('knobs', () => {
  it('adds latency, injects errors and hangs on demand through the loopback admin endpoint', async () => {
    await request(app).post('/admin/knobs').send({ latencyMs: 120 }).expect(200);
    const started = performance.now();
    await request(app).get('/products/tea-01').expect(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);

    await request(app).post('/admin/knobs').send({ latencyMs: 0, errorRate: 1 }).expect(200);
    const failed = await request(app).get('/products/tea-01').expect(503);
    expect(failed.body.error.code).toBe('ERR_INJECTED');
    // Health is never subject to the knobs.
    await request(app).get('/healthz').expect(200);

    await request(app).post('/admin/knobs').send({ errorRate: 0, hang: true }).expect(200);
    const hung = await request(app)
      .get('/products/tea-01')
      .timeout(200)
      .then(
        () => 'answered',
        (error: { timeout?: number }) => (error.timeout ? 'timed out' : 'other error'),
      );
    expect(hung).toBe('timed out');
    expect((await request(app).get('/admin/knobs').expect(200)).body).toEqual({
      latencyMs: 0,
      errorRate: 0,
      hang: true,
    });
  });

  it.each([
    [{ latencyMs: -1 }, /latencyMs/],
    [{ errorRate: 2 }, /errorRate/],
    [{ hang: 'yes' }, /hang/],
    [{ speed: 3 }, /unrecognized key/i],
  ])('refuses the knob settings %j with 400', async (body, message) => {
    const response = await request(app).post('/admin/knobs').send(body).expect(400);
    expect(response.body.error.code).toBe('ERR_INVALID_KNOBS');
    expect(response.body.error.message).toMatch(message);
  });
});
