import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useFakeShop } from './support/fake-shop.js';
import { PRODUCTS } from './support/fake-upstreams.js';

const shop = useFakeShop();

const lastCatalogUrl = () => shop.catalog.requests.at(-1)?.url;

describe('GET /api/products', () => {
  it('relays the catalog’s products', async () => {
    const answer = await request(shop.storefront.app).get('/api/products').expect(200);
    expect(answer.body).toEqual(PRODUCTS);
    expect(lastCatalogUrl()).toBe('/products');
  });

  it('passes the category and the search on to the catalog', async () => {
    const answer = await request(shop.storefront.app)
      .get('/api/products?category=tea&q=earl')
      .expect(200);
    expect(answer.body.map((product: { sku: string }) => product.sku)).toEqual(['tea-07']);
    expect(lastCatalogUrl()).toBe('/products?category=tea&q=earl');
  });

  it('treats empty filters, as a form sends them, as no filter', async () => {
    await request(shop.storefront.app).get('/api/products?category=&q=').expect(200);
    expect(lastCatalogUrl()).toBe('/products');
  });

  it.each([
    ['an unknown parameter', '/api/products?colour=red', /^query: Unrecognized key: "colour"/],
    ['a search over 100 characters', `/api/products?q=${'x'.repeat(101)}`, /^q: /],
    ['a category given twice', '/api/products?category=tea&category=ware', /^category: /],
  ])('answers 400 for %s, without asking the catalog', async (_label, url, message) => {
    const before = shop.catalog.requests.length;
    const answer = await request(shop.storefront.app).get(url).expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(message);
    expect(shop.catalog.requests.length).toBe(before);
  });
});

describe('GET /api/products/:sku', () => {
  it('relays one product', async () => {
    const answer = await request(shop.storefront.app).get('/api/products/coffee-03').expect(200);
    expect(answer.body).toEqual(PRODUCTS[2]);
    expect(lastCatalogUrl()).toBe('/products/coffee-03');
  });

  it('relays the catalog’s 404 for an unknown SKU as it is', async () => {
    const answer = await request(shop.storefront.app).get('/api/products/tea-99').expect(404);
    expect(answer.body).toEqual({
      error: { code: 'ERR_NO_SUCH_PRODUCT', message: 'no product tea-99' },
    });
  });

  it.each([
    ['upper case and spaces', '/api/products/DROP%20TABLE'],
    ['a trailing dash', '/api/products/tea-'],
    ['41 characters', `/api/products/${'a'.repeat(41)}`],
  ])('answers 400 naming the SKU for one with %s', async (_label, url) => {
    const answer = await request(shop.storefront.app).get(url).expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(/^sku: /);
  });
});
