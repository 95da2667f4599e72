import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  deadEndpoint,
  PRODUCTS,
  startCart,
  startCatalog,
  startCheckout,
  startFailing,
  type FakeServer,
} from './support/fake-upstreams.js';
import { storefrontWith, type Endpoint, type StorefrontUnderTest } from './support/storefront.js';

let catalog: FakeServer;
let cart: Awaited<ReturnType<typeof startCart>>;
let checkout: FakeServer;
let dead: Endpoint;
let storefront: StorefrontUnderTest | undefined;
const failing: FakeServer[] = [];

beforeAll(async () => {
  catalog = await startCatalog(PRODUCTS);
  cart = await startCart();
  checkout = await startCheckout(cart.carts);
  dead = await deadEndpoint();
});

afterEach(async () => {
  await storefront?.mesh.close();
  storefront = undefined;
});

afterAll(async () => {
  await Promise.all([
    catalog.close(),
    cart.close(),
    checkout.close(),
    ...failing.map((server) => server.close()),
  ]);
});

async function failingWith(status: number, body?: string): Promise<Endpoint> {
  const server = await startFailing(status, body);
  failing.push(server);
  return server.endpoint;
}

/** The storefront with the working fakes, except for the upstreams given. */
function storefrontWithBroken(broken: Partial<Record<'catalog' | 'cart' | 'checkout', Endpoint>>) {
  storefront = storefrontWith({
    catalog: [broken.catalog ?? catalog.endpoint],
    cart: [broken.cart ?? cart.endpoint],
    checkout: [broken.checkout ?? checkout.endpoint],
  });
  return storefront.app;
}

const order = {
  address: { name: 'A', line1: 'B 1', city: 'C', postcode: '1', country: 'DE' },
  paymentToken: 'tok_visa',
};

describe('when an upstream fails, the shared error handler answers (never 500)', () => {
  it('answers 502 when the catalog is down', async () => {
    const app = storefrontWithBroken({ catalog: dead });
    const answer = await request(app).get('/api/products').expect(502);
    expect(answer.body.error.code).toBe('ERR_UPSTREAM_REQUEST');
  });

  it('answers 502 when the catalog keeps answering 503, after the mesh’s retries', async () => {
    const app = storefrontWithBroken({ catalog: await failingWith(503) });
    const answer = await request(app).get('/api/products/tea-01').expect(502);
    expect(answer.body.error.code).toBe('ERR_UPSTREAM_STATUS');
    // The message does not echo the upstream's body or name its address.
    expect(answer.body.error.message).not.toMatch(/broken|127\.0\.0\.1/);
    expect(failing.at(-1)!.requests.length).toBeGreaterThan(1);
  });

  it('answers 502 when the catalog answers something that is not the contract', async () => {
    const app = storefrontWithBroken({ catalog: await failingWith(200, '{"products":"soon"}') });
    const answer = await request(app).get('/api/products').expect(502);
    expect(answer.body.error.code).toBe('ERR_UPSTREAM_STATUS');
  });

  it('answers 502 for the cart when the catalog cannot price it, rather than a cart without prices', async () => {
    cart.carts.set('ann', [{ sku: 'tea-01', qty: 1 }]);
    const app = storefrontWithBroken({ catalog: dead });
    await request(app).get('/api/cart').set('x-user-id', 'ann').expect(502);
  });

  it('answers 502 when the cart service is down', async () => {
    const app = storefrontWithBroken({ cart: dead });
    await request(app).get('/api/cart').set('x-user-id', 'bob').expect(502);
    await request(app).delete('/api/cart/items/tea-01').set('x-user-id', 'bob').expect(502);
  });

  it('answers 502 when checkout is down, and when it fails with 500', async () => {
    let app = storefrontWithBroken({ checkout: dead });
    await request(app).post('/api/checkout').set('x-user-id', 'cy').send(order).expect(502);
    await storefront!.mesh.close();
    app = storefrontWithBroken({ checkout: await failingWith(500) });
    const answer = await request(app)
      .post('/api/checkout')
      .set('x-user-id', 'cy')
      .set('Idempotency-Key', 'web-500')
      .send(order)
      .expect(502);
    expect(answer.body.error.code).toBe('ERR_UPSTREAM_STATUS');
  });

  it('answers 503 when discovery lists no endpoint for an upstream', async () => {
    storefront = storefrontWith({
      catalog: [],
      cart: [cart.endpoint],
      checkout: [checkout.endpoint],
    });
    const answer = await request(storefront.app).get('/api/products').expect(503);
    expect(answer.body.error.code).toBe('ERR_NO_ENDPOINTS');
    expect(answer.headers['retry-after']).toBe('1');
  });
});
