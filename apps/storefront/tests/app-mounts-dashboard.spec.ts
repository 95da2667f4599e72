import { Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PRODUCTS,
  startCart,
  startCatalog,
  startCheckout,
  type FakeServer,
} from './support/fake-upstreams.js';
import { storefrontWith, type StorefrontUnderTest } from './support/storefront.js';

let catalog: FakeServer;
let cart: Awaited<ReturnType<typeof startCart>>;
let checkout: FakeServer;
let storefront: StorefrontUnderTest;

// A stand-in for the dashboard's routes: what matters here is where the app mounts them.
const dashboard = Router();
dashboard.get('/dashboard', (_request, response) => {
  response.type('html').send('<h1>mesh</h1>');
});
dashboard.get('/dashboard/broken', () => {
  throw new Error('a bug in the dashboard');
});

beforeAll(async () => {
  catalog = await startCatalog(PRODUCTS);
  cart = await startCart();
  checkout = await startCheckout(cart.carts);
  storefront = storefrontWith(
    { catalog: [catalog.endpoint], cart: [cart.endpoint], checkout: [checkout.endpoint] },
    { dashboard },
  );
});

afterAll(async () => {
  await storefront.mesh.close();
  await Promise.all([catalog.close(), cart.close(), checkout.close()]);
});

describe('the dashboard in the storefront', () => {
  it('serves the dashboard’s routes and the shop’s side by side', async () => {
    expect((await request(storefront.app).get('/dashboard').expect(200)).text).toBe(
      '<h1>mesh</h1>',
    );
    await request(storefront.app).get('/api/products').expect(200);
    await request(storefront.app).get('/').expect(200);
    await request(storefront.app).get('/healthz').expect(200);
  });

  it('keeps the dashboard up while the failure knobs fail the shop, so it can heal them', async () => {
    await request(storefront.app).post('/admin/knobs').send({ errorRate: 1 }).expect(200);
    try {
      const shop = await request(storefront.app).get('/api/products').expect(503);
      expect(shop.body.error.code).toBe('ERR_INJECTED');
      await request(storefront.app).get('/dashboard').expect(200);
    } finally {
      await request(storefront.app).post('/admin/knobs').send({ errorRate: 0 }).expect(200);
    }
  });

  it('answers a failing dashboard route through the error handler, not with a stack trace', async () => {
    const answer = await request(storefront.app).get('/dashboard/broken').expect(500);
    expect(answer.body).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'Internal server error' },
    });
  });

  it('sets no user cookie on the dashboard', async () => {
    const answer = await request(storefront.app).get('/dashboard').expect(200);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});
