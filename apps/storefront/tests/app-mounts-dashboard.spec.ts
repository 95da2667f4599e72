import { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useFakeShop } from './support/fake-shop.js';

// A stand-in for the dashboard's routes: what matters here is where the app mounts them.
const dashboard = Router();
dashboard.get('/dashboard', (_request, response) => {
  response.type('html').send('<h1>mesh</h1>');
});
dashboard.get('/dashboard/broken', () => {
  throw new Error('a bug in the dashboard');
});

const shop = useFakeShop({ dashboard });

describe('the dashboard in the storefront', () => {
  it('serves the dashboard’s routes and the shop’s side by side', async () => {
    expect((await request(shop.storefront.app).get('/dashboard').expect(200)).text).toBe(
      '<h1>mesh</h1>',
    );
    await request(shop.storefront.app).get('/api/products').expect(200);
    await request(shop.storefront.app).get('/').expect(200);
    await request(shop.storefront.app).get('/healthz').expect(200);
  });

  it('keeps the dashboard up while the failure knobs fail the shop, so it can heal them', async () => {
    await request(shop.storefront.app).post('/admin/knobs').send({ errorRate: 1 }).expect(200);
    try {
      const products = await request(shop.storefront.app).get('/api/products').expect(503);
      expect(products.body.error.code).toBe('ERR_INJECTED');
      await request(shop.storefront.app).get('/dashboard').expect(200);
    } finally {
      await request(shop.storefront.app).post('/admin/knobs').send({ errorRate: 0 }).expect(200);
    }
  });

  it('answers a failing dashboard route through the error handler, not with a stack trace', async () => {
    const answer = await request(shop.storefront.app).get('/dashboard/broken').expect(500);
    expect(answer.body).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'Internal server error' },
    });
  });

  it('sets no user cookie on the dashboard', async () => {
    const answer = await request(shop.storefront.app).get('/dashboard').expect(200);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});
