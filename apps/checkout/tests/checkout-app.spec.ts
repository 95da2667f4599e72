import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMesh, type Mesh, type MeshOptions } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { OrderBook } from '../src/order-book.js';
import { buildServices, type ServiceProcess } from './support/service-process.js';
import {
  ADDRESS,
  cartOf,
  chargesFor,
  fillCart,
  productAt,
  setKnobs,
  startShop,
  type Shop,
} from './support/shop.js';

// Checkout's routes under supertest, calling real catalog, cart, shipping and payments processes.
let shop: Shop;
const meshes: Mesh[] = [];
let users = 0;

beforeAll(async () => {
  await buildServices(['catalog', 'cart', 'shipping', 'payments']);
  shop = await startShop();
}, 180_000);

afterAll(() => shop?.stop(), 60_000);

afterEach(async () => {
  await Promise.all(meshes.splice(0).map((mesh) => mesh.close()));
});

const endpoint = (replica: ServiceProcess) => ({ address: '127.0.0.1', port: replica.port });

/** A checkout app whose mesh points at the shop's processes (or elsewhere, per upstream). */
function checkoutApp(upstreams: NonNullable<MeshOptions['upstreams']> = {}) {
  const mesh = createMesh({
    discovery: [],
    upstreams: {
      cart: { endpoints: [endpoint(shop.cart)], balancer: 'consistent-hash' },
      catalog: { endpoints: [endpoint(shop.catalog)] },
      shipping: { endpoints: [endpoint(shop.shipping)] },
      payments: { endpoints: shop.payments.map(endpoint) },
      ...upstreams,
    },
  });
  meshes.push(mesh);
  const state = new ServerState({ service: 'checkout' });
  state.markRegistered('checkout-test');
  return buildApp({
    orders: new OrderBook(),
    knobs: new Knobs({ latencyMs: 0, errorRate: 0, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
}

type App = ReturnType<typeof checkoutApp>;

const newUser = () => `app-user-${++users}`;

function checkout(app: App, key: string | undefined, body: object) {
  const call = request(app).post('/checkouts');
  return key === undefined ? call.send(body) : call.set('Idempotency-Key', key).send(body);
}

const orderIdOf = (userId: string, key: string) =>
  `ord_${createHash('sha256').update(`${userId}:${key}`).digest('hex').slice(0, 16)}`;

describe('POST /checkouts', () => {
  it('claims the cart, prices it at the catalog, quotes, charges the total and ships', async () => {
    const app = checkoutApp();
    const userId = newUser();
    await fillCart(shop, userId, [
      { sku: 'tea-01', qty: 2 },
      { sku: 'ware-02', qty: 1 },
    ]);
    const [tea, mug] = [await productAt(shop, 'tea-01'), await productAt(shop, 'ware-02')];
    const key = 'checkout-full-1';
    const placed = await checkout(app, key, {
      userId,
      address: ADDRESS,
      paymentToken: 'tok_visa',
    }).expect(201);
    const subtotalCents = tea.priceCents * 2 + mug.priceCents;
    expect(placed.body).toEqual({
      orderId: orderIdOf(userId, key),
      userId,
      status: 'confirmed',
      items: [
        {
          sku: 'tea-01',
          name: 'Sencha',
          qty: 2,
          unitPriceCents: tea.priceCents,
          lineCents: tea.priceCents * 2,
        },
        {
          sku: 'ware-02',
          name: 'Mug',
          qty: 1,
          unitPriceCents: mug.priceCents,
          lineCents: mug.priceCents,
        },
      ],
      subtotalCents,
      // Three units to Germany: one domestic parcel.
      shippingCents: 490,
      totalCents: subtotalCents + 490,
      currency: 'EUR',
      chargeId: expect.stringMatching(/^ch_\d{6}$/),
      trackingNumber: expect.stringMatching(/^TRK[0-9A-F]{10}$/),
      carrier: 'PostNet',
      days: 2,
    });
    expect(placed.headers['idempotent-replayed']).toBeUndefined();
    expect(await cartOf(shop, userId)).toEqual([]);
    const charges = await chargesFor(shop, placed.body.orderId);
    expect(charges).toEqual([
      expect.objectContaining({ chargeId: placed.body.chargeId, amountCents: subtotalCents + 490 }),
    ]);
    const read = await request(app).get(`/orders/${placed.body.orderId}`).expect(200);
    expect(read.body).toEqual(placed.body);
  });

  it('answers a repeat of the key with the stored order (200), and concurrent copies share one run', async () => {
    const app = checkoutApp();
    const userId = newUser();
    await fillCart(shop, userId, [{ sku: 'coffee-03', qty: 1 }]);
    const body = { userId, address: ADDRESS, paymentToken: 'tok_visa' };
    const copies = await Promise.all(
      Array.from({ length: 5 }, () => checkout(app, 'checkout-burst-1', body)),
    );
    expect(copies.map((copy) => copy.status).sort()).toEqual([200, 200, 200, 200, 201]);
    for (const copy of copies) expect(copy.body).toEqual(copies[0]!.body);
    const again = await checkout(app, 'checkout-burst-1', body).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(copies[0]!.body);
    expect(await chargesFor(shop, again.body.orderId)).toHaveLength(1);
  });

  it('refuses a key reused with a different address or token with 409, placing nothing new', async () => {
    const app = checkoutApp();
    const userId = newUser();
    await fillCart(shop, userId, [{ sku: 'tea-02', qty: 1 }]);
    const body = { userId, address: ADDRESS, paymentToken: 'tok_visa' };
    const placed = await checkout(app, 'checkout-reuse-1', body).expect(201);
    for (const changed of [
      { ...body, paymentToken: 'tok_mastercard' },
      { ...body, address: { ...ADDRESS, city: 'Hamburg' } },
    ]) {
      const refused = await checkout(app, 'checkout-reuse-1', changed).expect(409);
      expect(refused.body.error.code).toBe('ERR_IDEMPOTENCY_KEY_REUSED');
      expect(refused.body.error.message).toMatch(/use a new key/);
    }
    expect(await chargesFor(shop, placed.body.orderId)).toHaveLength(1);
  });

  it('places two orders, each charged once, when two users pick the same checkout key', async () => {
    const app = checkoutApp();
    const [first, second] = [newUser(), newUser()];
    await fillCart(shop, first, [{ sku: 'tea-07', qty: 1 }]);
    await fillCart(shop, second, [{ sku: 'tea-08', qty: 2 }]);
    const key = 'checkout-shared-key-1';
    const orders = [];
    for (const userId of [first, second]) {
      const placed = await checkout(app, key, {
        userId,
        address: ADDRESS,
        paymentToken: 'tok_visa',
      }).expect(201);
      orders.push(placed.body.orderId as string);
    }
    expect(orders).toEqual([orderIdOf(first, key), orderIdOf(second, key)]);
    for (const orderId of orders) expect(await chargesFor(shop, orderId)).toHaveLength(1);
  });

  it('answers 409 ERR_CART_EMPTY for an empty cart, and charges nothing', async () => {
    const userId = newUser();
    const refused = await checkout(checkoutApp(), 'checkout-empty-1', {
      userId,
      address: ADDRESS,
      paymentToken: 'tok_visa',
    }).expect(409);
    expect(refused.body.error).toEqual({
      code: 'ERR_CART_EMPTY',
      message: `the cart of ${userId} is empty`,
    });
    expect(await chargesFor(shop, orderIdOf(userId, 'checkout-empty-1'))).toEqual([]);
  });

  it('answers 402 ERR_PAYMENT_DECLINED for a declined card and puts the items back, once', async () => {
    const app = checkoutApp();
    const userId = newUser();
    const lines = [
      { sku: 'snacks-01', qty: 3 },
      { sku: 'tea-05', qty: 1 },
    ];
    await fillCart(shop, userId, lines);
    const body = { userId, address: ADDRESS, paymentToken: 'tok_decline' };
    const declined = await checkout(app, 'checkout-decline-1', body).expect(402);
    expect(declined.body.error.code).toBe('ERR_PAYMENT_DECLINED');
    expect(declined.body.error.message).toMatch(/back in the cart/);
    expect(await cartOf(shop, userId)).toEqual(lines);
    // The key's outcome is kept: a repeat gets the same answer and the items go back only once.
    await checkout(app, 'checkout-decline-1', body).expect(402);
    expect(await cartOf(shop, userId)).toEqual(lines);
    const orderId = orderIdOf(userId, 'checkout-decline-1');
    await request(app).get(`/orders/${orderId}`).expect(404);
    expect(await chargesFor(shop, orderId)).toEqual([]);
  });

  it('answers 409 ERR_OUT_OF_STOCK naming the SKU, puts the items back and charges nothing', async () => {
    const userId = newUser();
    const { stock } = await productAt(shop, 'coffee-01');
    const lines = [
      { sku: 'coffee-01', qty: 100 },
      { sku: 'tea-01', qty: 1 },
    ];
    await fillCart(shop, userId, lines);
    const refused = await checkout(checkoutApp(), 'checkout-stock-1', {
      userId,
      address: ADDRESS,
      paymentToken: 'tok_visa',
    }).expect(409);
    expect(refused.body.error).toEqual({
      code: 'ERR_OUT_OF_STOCK',
      message: `coffee-01: 100 wanted, ${stock} in stock; the items are back in the cart`,
      sku: 'coffee-01',
      available: stock,
    });
    expect(await cartOf(shop, userId)).toEqual(lines);
    expect(await chargesFor(shop, orderIdOf(userId, 'checkout-stock-1'))).toEqual([]);
  });

  it('runs under a shorter inbound deadline: a slow catalog gets 504 in time', async () => {
    const app = checkoutApp();
    const userId = newUser();
    await fillCart(shop, userId, [{ sku: 'ware-05', qty: 1 }]);
    await setKnobs(shop.catalog, { latencyMs: 1_500 });
    try {
      const started = performance.now();
      const late = await checkout(app, 'checkout-deadline-1', {
        userId,
        address: ADDRESS,
        paymentToken: 'tok_visa',
      })
        .set('x-trellis-deadline-ms', '300')
        .expect(504);
      // Well under the catalog's 1.5 s: the caller's 300 ms budget cut the call short.
      expect(performance.now() - started).toBeLessThan(1_200);
      expect(late.body.error.code).toMatch(/ERR_DEADLINE_EXCEEDED|ERR_ATTEMPT_TIMEOUT/);
    } finally {
      await setKnobs(shop.catalog, { latencyMs: 0 });
    }
  });

  it('answers 502/503 (never 500) while payments fails, keeps the claim, and completes on a retry of the key', async () => {
    const app = checkoutApp();
    const userId = newUser();
    await fillCart(shop, userId, [{ sku: 'ware-03', qty: 1 }]);
    const body = { userId, address: ADDRESS, paymentToken: 'tok_visa' };
    const orderId = orderIdOf(userId, 'checkout-retry-1');
    await setKnobs(shop.payments[0]!, { errorRate: 1 });
    try {
      const failed = await checkout(app, 'checkout-retry-1', body);
      expect([502, 503]).toContain(failed.status);
      expect(failed.body.error.code).toMatch(/^ERR_(UPSTREAM_STATUS|RETRY_BUDGET_EXHAUSTED)$/);
    } finally {
      await setKnobs(shop.payments[0]!, { errorRate: 0 });
    }
    // The items stay with the checkout, so the retry finds them claimed under its key.
    expect(await cartOf(shop, userId)).toEqual([]);
    await request(app).get(`/orders/${orderId}`).expect(404);
    const placed = await checkout(app, 'checkout-retry-1', body).expect(201);
    expect(placed.body.items).toEqual([expect.objectContaining({ sku: 'ware-03', qty: 1 })]);
    expect(await chargesFor(shop, orderId)).toHaveLength(1);
  });

  it('answers 502 when shipping cannot be reached', async () => {
    const closedPort = await freePort();
    const app = checkoutApp({
      shipping: { endpoints: [{ address: '127.0.0.1', port: closedPort }] },
    });
    const userId = newUser();
    await fillCart(shop, userId, [{ sku: 'tea-03', qty: 1 }]);
    const failed = await checkout(app, 'checkout-noship-1', {
      userId,
      address: ADDRESS,
      paymentToken: 'tok_visa',
    }).expect(502);
    expect(failed.body.error.code).toBe('ERR_UPSTREAM_REQUEST');
    expect(await chargesFor(shop, orderIdOf(userId, 'checkout-noship-1'))).toEqual([]);
  });

  it('answers 502 ERR_UPSTREAM_CONTRACT when the catalog answers something checkout cannot use', async () => {
    // A catalog that answers 200 without the product's price, as a broken deployment might.
    const broken = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ sku: 'tea-01', name: 'Sencha' }));
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const app = checkoutApp({
        catalog: { endpoints: [{ address: '127.0.0.1', port: portOf(broken) }] },
      });
      const userId = newUser();
      await fillCart(shop, userId, [{ sku: 'tea-01', qty: 1 }]);
      const failed = await checkout(app, 'checkout-contract-1', {
        userId,
        address: ADDRESS,
        paymentToken: 'tok_visa',
      }).expect(502);
      expect(failed.body.error.code).toBe('ERR_UPSTREAM_CONTRACT');
      expect(failed.body.error.message).toMatch(/catalog service answered 200.*priceCents/);
      // A service's fault is not the user's: the claim stays for a retry of the key.
      expect(await cartOf(shop, userId)).toEqual([]);
    } finally {
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});

describe('GET /orders/:orderId', () => {
  it('answers 404 for an order this replica did not place, and 400 for a malformed id', async () => {
    const app = checkoutApp();
    const missing = await request(app).get('/orders/ord_0123456789abcdef').expect(404);
    expect(missing.body.error).toEqual({
      code: 'ERR_NO_SUCH_ORDER',
      message: 'no order ord_0123456789abcdef on this replica',
    });
    const malformed = await request(app).get('/orders/order-1').expect(400);
    expect(malformed.body.error).toEqual({
      code: 'ERR_BAD_REQUEST',
      message: 'orderId: an order id looks like "ord_" and 16 hex digits',
    });
  });
});

describe('bad input', () => {
  const userId = 'bad-input-user';
  const valid = { userId, address: ADDRESS, paymentToken: 'tok_visa' };
  let app: App;

  beforeAll(async () => {
    await fillCart(shop, userId, [{ sku: 'tea-01', qty: 1 }]);
  });

  afterAll(async () => {
    // Nothing above reached the cart: the item is still there.
    expect(await cartOf(shop, userId)).toEqual([{ sku: 'tea-01', qty: 1 }]);
  });

  it.each([
    ['no Idempotency-Key', undefined, /^Idempotency-Key: required header/],
    ['a 7-character key', 'abcdefg', /^Idempotency-Key: use 8-100 letters/],
    ['a key with a space', 'my checkout key', /^Idempotency-Key: use 8-100 letters/],
    ['a key with a dot', 'checkout.key.1', /^Idempotency-Key: use 8-100 letters/],
    ['a 101-character key', 'k'.repeat(101), /^Idempotency-Key: use 8-100 letters/],
  ])('answers 400 for %s', async (_label, key, message) => {
    app ??= checkoutApp();
    const response = await checkout(app, key, valid).expect(400);
    expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(response.body.error.message).toMatch(message);
  });

  it.each([
    ['no body', undefined, /^body: /],
    ['an array body', [], /^body: /],
    ['no userId', { ...valid, userId: undefined }, /^userId: /],
    ['a userId with a space', { ...valid, userId: 'ada lovelace' }, /^userId: a user id is/],
    ['a 65-character userId', { ...valid, userId: 'u'.repeat(65) }, /^userId: /],
    ['no address', { ...valid, address: undefined }, /^address: /],
    [
      'no postcode',
      { ...valid, address: { ...ADDRESS, postcode: undefined } },
      /^address\.postcode: /,
    ],
    ['a blank name', { ...valid, address: { ...ADDRESS, name: '   ' } }, /^address\.name: /],
    ['a blank street', { ...valid, address: { ...ADDRESS, line1: '' } }, /^address\.line1: /],
    ['no city', { ...valid, address: { ...ADDRESS, city: undefined } }, /^address\.city: /],
    [
      'a postcode with symbols',
      { ...valid, address: { ...ADDRESS, postcode: '10<15' } },
      /^address\.postcode: a postcode is/,
    ],
    [
      'a lower-case country',
      { ...valid, address: { ...ADDRESS, country: 'de' } },
      /^address\.country: a two-letter/,
    ],
    [
      'a three-letter country',
      { ...valid, address: { ...ADDRESS, country: 'DEU' } },
      /^address\.country: /,
    ],
    [
      'an extra address field',
      { ...valid, address: { ...ADDRESS, floor: 3 } },
      /^address: Unrecognized key/,
    ],
    ['no payment token', { ...valid, paymentToken: undefined }, /^paymentToken: /],
    ['an empty payment token', { ...valid, paymentToken: '' }, /^paymentToken: a payment token/],
    ['an extra field', { ...valid, couponCode: 'FREE' }, /^body: Unrecognized key.*couponCode/],
  ])('answers 400 naming the field for %s', async (_label, body, message) => {
    app ??= checkoutApp();
    const call = request(app).post('/checkouts').set('Idempotency-Key', 'checkout-bad-1');
    const response = await (body === undefined ? call : call.send(body as object)).expect(400);
    expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(response.body.error.message).toMatch(message);
  });

  it('answers 400 for malformed JSON and 413 for a body over 16 kB', async () => {
    app ??= checkoutApp();
    const malformed = await request(app)
      .post('/checkouts')
      .set('Idempotency-Key', 'checkout-bad-2')
      .set('content-type', 'application/json')
      .send('{"userId": ')
      .expect(400);
    expect(malformed.body.error.code).toBe('ERR_MALFORMED_BODY');
    const large = await checkout(app, 'checkout-bad-3', {
      ...valid,
      address: { ...ADDRESS, name: 'x'.repeat(20_000) },
    }).expect(413);
    expect(large.body.error.code).toBe('ERR_BODY_TOO_LARGE');
  });
});

describe('the service chrome', () => {
  it('serves health, readiness, metrics and the mesh view', async () => {
    const app = checkoutApp();
    await request(app).get('/healthz').expect(200);
    await request(app).get('/readyz').expect(200);
    expect((await request(app).get('/metrics').expect(200)).text).toMatch(/# TYPE/);
    const view = await request(app).get('/mesh').expect(200);
    expect(view.body.service).toBe('checkout');
  });
});

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
