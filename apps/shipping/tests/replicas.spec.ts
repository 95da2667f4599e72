import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { DEVELOPMENT_QUOTE_SECRET } from '../src/config.js';
import { DEFAULT_QUOTE_TTL_MS, ShippingDesk } from '../src/shipping-desk.js';

// Replicas share nothing but the secret: each has its own desk, memory and mesh.
const meshes: Mesh[] = [];
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((mesh) => mesh.close()));
});

function replica(name: string, options: { secret?: string; now?: () => number } = {}) {
  const mesh = createMesh({ discovery: [] });
  meshes.push(mesh);
  const state = new ServerState({ service: 'shipping' });
  state.markRegistered(name);
  return buildApp({
    desk: new ShippingDesk({
      secret: options.secret ?? DEVELOPMENT_QUOTE_SECRET,
      now: options.now,
    }),
    knobs: new Knobs({ latencyMs: 0, errorRate: 0, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
}

type App = ReturnType<typeof replica>;

async function quoteAt(app: App, country = 'DE'): Promise<{ quoteId: string; carrier: string }> {
  const response = await request(app)
    .post('/quotes')
    .send({ country, items: [{ sku: 'tea-01', qty: 2 }] })
    .expect(201);
  return response.body;
}

const ship = (app: App, orderId: string, quoteId: string) =>
  request(app).post('/shipments').send({ orderId, quoteId });

/** The quote id with its terms rewritten but its original tag kept, as a client might try. */
function withTerms(quoteId: string, change: Record<string, unknown>): string {
  const [payload, tag] = quoteId.slice(2).split('.') as [string, string];
  const terms = JSON.parse(Buffer.from(payload, 'base64url').toString()) as object;
  const forged = Buffer.from(JSON.stringify({ ...terms, ...change })).toString('base64url');
  return `q_${forged}.${tag}`;
}

describe('shipping replicas that share nothing', () => {
  it("accepts a quote made by another replica, with the quote's carrier", async () => {
    const [first, second] = [replica('shipping-1'), replica('shipping-2')];
    const quote = await quoteAt(first, 'US');
    const shipment = await ship(second, 'order-cross', quote.quoteId).expect(201);
    expect(shipment.body).toMatchObject({
      orderId: 'order-cross',
      quoteId: quote.quoteId,
      carrier: 'WorldParcel',
      status: 'label-created',
    });
  });

  it('books the same order on two replicas under the same tracking number', async () => {
    const [first, second] = [replica('shipping-1'), replica('shipping-2')];
    const quote = await quoteAt(first);
    const onFirst = await ship(first, 'order-twice', quote.quoteId).expect(201);
    const onSecond = await ship(second, 'order-twice', quote.quoteId).expect(201);
    expect(onSecond.body).toEqual(onFirst.body);
    // A repeat on either replica is a no-op that answers the same shipment.
    expect((await ship(second, 'order-twice', quote.quoteId).expect(200)).body).toEqual(
      onFirst.body,
    );
    const other = await ship(first, 'order-other', quote.quoteId).expect(201);
    expect(other.body.trackingNumber).not.toBe(onFirst.body.trackingNumber);
  });

  it('tracks a shipment only on the replicas that booked it', async () => {
    const [first, second] = [replica('shipping-1'), replica('shipping-2')];
    const { quoteId } = await quoteAt(first);
    const booked = await ship(first, 'order-track', quoteId).expect(201);
    const path = `/shipments/${booked.body.trackingNumber}`;
    expect((await request(first).get(path).expect(200)).body).toEqual(booked.body);
    const elsewhere = await request(second).get(path).expect(404);
    expect(elsewhere.body.error.message).toMatch(/on this replica/);
  });

  it('answers 400 ERR_INVALID_QUOTE for a quote whose terms were changed, and books nothing', async () => {
    const [first, second] = [replica('shipping-1'), replica('shipping-2')];
    const { quoteId } = await quoteAt(first);
    for (const tampered of [
      withTerms(quoteId, { costCents: 1 }),
      withTerms(quoteId, { carrier: 'Overnight' }),
      withTerms(quoteId, { expiresAt: Date.now() + 365 * 24 * 3_600_000 }),
      // Another quote's tag on this quote's terms.
      `${quoteId.split('.')[0]}.${(await quoteAt(first, 'US')).quoteId.split('.')[1]}`,
    ]) {
      const refused = await ship(second, 'order-tampered', tampered).expect(400);
      expect(refused.body.error.code).toBe('ERR_INVALID_QUOTE');
      expect(refused.body.error.message).toMatch(/signature does not match.*POST \/quotes/);
    }
    // Nothing was booked: the genuine quote still creates the shipment.
    await ship(second, 'order-tampered', quoteId).expect(201);
  });

  it('answers 400 ERR_INVALID_QUOTE for a quote signed with another secret', async () => {
    const foreign = replica('shipping-foreign', { secret: 'another-deployments-secret' });
    const { quoteId } = await quoteAt(foreign);
    const refused = await ship(replica('shipping-1'), 'order-foreign', quoteId).expect(400);
    expect(refused.body.error.code).toBe('ERR_INVALID_QUOTE');
  });

  it('answers 404 ERR_QUOTE_EXPIRED for a quote past its expiry, on every replica', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const clock = () => now;
    const [first, second] = [
      replica('shipping-1', { now: clock }),
      replica('shipping-2', { now: clock }),
    ];
    const quote = await quoteAt(first);
    expect(quote).toMatchObject({ expiresAt: '2030-01-01T00:30:00.000Z' });
    now += DEFAULT_QUOTE_TTL_MS - 1;
    await ship(second, 'order-in-time', quote.quoteId).expect(201);
    now += 1;
    for (const app of [first, second]) {
      const expired = await ship(app, 'order-late', quote.quoteId).expect(404);
      expect(expired.body.error).toEqual({
        code: 'ERR_QUOTE_EXPIRED',
        message: 'quote expired at 2030-01-01T00:30:00.000Z; ask POST /quotes for a new one',
      });
    }
  });
});
