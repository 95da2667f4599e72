import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { DEVELOPMENT_QUOTE_SECRET } from '../src/config.js';
import { ShippingDesk } from '../src/shipping-desk.js';
import { trackingNumberFor } from '../src/tracking-number.js';

let mesh: Mesh;
let app: ReturnType<typeof buildApp>;

beforeEach(() => {
  mesh = createMesh({ discovery: [] });
  const state = new ServerState({ service: 'shipping' });
  state.markRegistered('shipping-test');
  app = buildApp({
    desk: new ShippingDesk({ secret: DEVELOPMENT_QUOTE_SECRET }),
    knobs: new Knobs({ latencyMs: 0, errorRate: 0, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
});

afterEach(() => mesh.close());

const quote = (body: object) => request(app).post('/quotes').send(body);

describe('shipping', () => {
  it('quotes by parcels and destination', async () => {
    const domestic = await quote({ country: 'DE', items: [{ sku: 'tea-01', qty: 3 }] }).expect(201);
    expect(domestic.body).toMatchObject({
      country: 'DE',
      parcels: 1,
      costCents: 490,
      carrier: 'PostNet',
      days: 2,
    });
    expect(domestic.body.quoteId).toMatch(/^q_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(domestic.body.expiresAt)).toBeGreaterThan(Date.now());
    const abroad = await quote({ country: 'US', items: [{ sku: 'tea-01', qty: 15 }] }).expect(201);
    expect(abroad.body).toMatchObject({
      parcels: 2,
      costCents: 2_580,
      carrier: 'WorldParcel',
      days: 6,
    });
  });

  it('creates one shipment per order however often it is asked, and tracks it', async () => {
    const { quoteId } = (await quote({ country: 'FR', items: [{ sku: 'ware-01', qty: 1 }] })).body;
    const first = await request(app)
      .post('/shipments')
      .send({ orderId: 'order-7', quoteId })
      .expect(201);
    expect(first.body).toMatchObject({
      orderId: 'order-7',
      quoteId,
      carrier: 'PostNet',
      status: 'label-created',
    });
    expect(first.body.trackingNumber).toMatch(/^TRK[0-9A-F]{10}$/);
    expect(first.body.trackingNumber).toBe(trackingNumberFor('order-7', DEVELOPMENT_QUOTE_SECRET));
    const again = await request(app)
      .post('/shipments')
      .send({ orderId: 'order-7', quoteId })
      .expect(200);
    expect(again.body).toEqual(first.body);
    const tracked = await request(app).get(`/shipments/${first.body.trackingNumber}`).expect(200);
    expect(tracked.body).toEqual(first.body);
  });

  it('answers 400 for a quote id it never signed and 404 for an unknown tracking number', async () => {
    const forged = await request(app)
      .post('/shipments')
      .send({ orderId: 'o', quoteId: `q_${'A'.repeat(20)}.${'B'.repeat(43)}` })
      .expect(400);
    expect(forged.body.error).toMatchObject({ code: 'ERR_INVALID_QUOTE' });
    expect(forged.body.error.message).toMatch(/POST \/quotes/);
    const missing = await request(app).get('/shipments/TRK0000000000').expect(404);
    expect(missing.body.error).toMatchObject({ code: 'ERR_NO_SUCH_SHIPMENT' });
  });

  it.each([
    ['a lowercase country', { country: 'de', items: [{ sku: 'a', qty: 1 }] }, /country/],
    ['no items', { country: 'DE', items: [] }, /items/],
    ['a zero quantity', { country: 'DE', items: [{ sku: 'a', qty: 0 }] }, /items\.0\.qty/],
    ['an item without sku', { country: 'DE', items: [{ qty: 1 }] }, /items\.0\.sku/],
    [
      'an extra field',
      { country: 'DE', items: [{ sku: 'a', qty: 1 }], express: true },
      /unrecognized key/i,
    ],
  ])('refuses a quote with %s, naming the field', async (_label, body, message) => {
    const response = await quote(body).expect(400);
    expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(response.body.error.message).toMatch(message);
  });

  it.each([
    ['no order id', { quoteId: `q_${'A'.repeat(20)}.${'B'.repeat(43)}` }, /orderId/],
    ['a malformed quote id', { orderId: 'o', quoteId: 'quote-1' }, /a quote id from POST \/quotes/],
    ['an old-style quote id', { orderId: 'o', quoteId: 'q_000000000000' }, /quoteId: a quote id/],
  ])('refuses a shipment with %s', async (_label, body, message) => {
    const response = await request(app).post('/shipments').send(body).expect(400);
    expect(response.body.error.message).toMatch(message);
  });
});
