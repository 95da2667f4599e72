import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../src/pages.js';
import { useFakeShop } from './support/fake-shop.js';

const shop = useFakeShop();

/** Every module the page loads, following imports from the entry point. */
async function moduleGraph(entry: string): Promise<string[]> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    const url = queue.shift()!;
    const source = await readFile(join(PUBLIC_DIR, url), 'utf8');
    for (const [, specifier] of source.matchAll(/^import [^;]*?from '(\.[^']+)';$/gms)) {
      const resolved = new URL(specifier!, `http://shop${url}`).pathname;
      if (!seen.has(resolved)) {
        seen.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return [...seen];
}

describe('the pages', () => {
  it.each(['/', '/products/tea-01', '/cart', '/checkout', '/orders/ord_0123456789abcdef'])(
    'serves the page shell at %s',
    async (path) => {
      const page = await request(shop.storefront.app).get(path).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.text).toContain('<script type="module" src="/assets/js/main.js">');
      expect(page.text).toContain('data-testid="cart-count"');
      expect(page.text).toContain('data-testid="error-banner"');
      expect(page.text).toContain('href="/dashboard"');
    },
  );

  it('serves the stylesheet, the icon and every script module the page imports', async () => {
    const css = await request(shop.storefront.app).get('/assets/shop.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const icon = await request(shop.storefront.app).get('/assets/favicon.svg').expect(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    const modules = await moduleGraph('/assets/js/main.js');
    expect(modules.length).toBeGreaterThan(8);
    for (const path of modules) {
      const script = await request(shop.storefront.app).get(path).expect(200);
      expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    }
  });

  it('carries the hooks a browser test relies on', async () => {
    const modules = await moduleGraph('/assets/js/main.js');
    const sources = [
      await readFile(join(PUBLIC_DIR, 'shop.html'), 'utf8'),
      ...(await Promise.all(modules.map((path) => readFile(join(PUBLIC_DIR, path), 'utf8')))),
    ].join('\n');
    for (const hook of [
      'product-card',
      'add-to-cart',
      'cart-count',
      'cart-line',
      'go-to-checkout',
      'place-order',
      'order-confirmation',
      'error-banner',
    ]) {
      expect(sources, hook).toMatch(new RegExp(`'data-testid': '${hook}'|data-testid="${hook}"`));
    }
    // Nothing is fetched from elsewhere: the shop works offline.
    expect(sources).not.toMatch(/https?:\/\//);
  });

  it('answers 404 as JSON for a missing asset and an unknown API route', async () => {
    const asset = await request(shop.storefront.app).get('/assets/js/missing.js').expect(404);
    expect(asset.headers['content-type']).toMatch(/json/);
    const api = await request(shop.storefront.app).get('/api/orders').expect(404);
    expect(api.body.error).toEqual({
      code: 'ERR_NOT_FOUND',
      message: 'no API route GET /api/orders',
    });
  });

  it('answers an unknown page with the shell and 404, and other unknown requests with JSON', async () => {
    const page = await request(shop.storefront.app)
      .get('/no/such/page')
      .set('accept', 'text/html')
      .expect(404);
    expect(page.text).toContain('/assets/js/main.js');
    const other = await request(shop.storefront.app).post('/no/such/page').send({}).expect(404);
    expect(other.body.error.code).toBe('ERR_NOT_FOUND');
  });
});
