import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { useCompiledService } from '@trellis/shop-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS, startCart, startCatalog, type FakeServer } from './support/fake-upstreams.js';

const storefrontService = useCompiledService(join(__dirname, '..'), 'storefront');
let catalog: FakeServer;
let cart: FakeServer;

beforeAll(async () => {
  catalog = await startCatalog(PRODUCTS);
  cart = await startCart();
});

afterAll(() => Promise.all([catalog.close(), cart.close()]));

const address = (endpoint: { address: string; port: number }) =>
  `${endpoint.address}:${endpoint.port}`;

function start(env: Record<string, string>) {
  return storefrontService.start({
    // The upstreams are this test's servers; the environment comes before the registry.
    TRELLIS_UPSTREAM_CATALOG: address(catalog.endpoint),
    TRELLIS_UPSTREAM_CART: address(cart.endpoint),
    ...env,
  });
}

/** Opens the dashboard's event stream and leaves it open, as a dashboard tab does. */
function openEventStream(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = httpRequest(`${url}/dashboard/events`, (response) => {
      response.on('error', () => undefined);
      response.resume();
      if (
        response.statusCode === 200 &&
        /^text\/event-stream/.test(response.headers['content-type'] ?? '')
      ) {
        resolve();
      } else {
        reject(new Error(`the event stream answered ${response.statusCode}`));
      }
    });
    stream.on('error', reject);
    stream.end();
  });
}

describe('the storefront process', () => {
  it('registers itself, serves the shop through its upstreams, mounts the dashboard, and drains on SIGTERM', async () => {
    const service = start({ DRAIN_DELAY_MS: '100', REPLICA: 'storefront-1' });
    const registry = new LocalRegistry({ dir: storefrontService.registryDir });
    const mesh = createMesh({ discovery: registry });
    try {
      const storefront = mesh.client('storefront');
      const products = await storefront.json<{ sku: string }[]>({ path: '/api/products' });
      expect(products.map((product) => product.sku)).toEqual(
        PRODUCTS.map((product) => product.sku),
      );

      const basket = await storefront.json<{ userId: string }>({
        path: '/api/cart',
        headers: { 'x-user-id': 'load-1' },
      });
      expect(basket.userId).toBe('load-1');
      expect(cart.requests.at(-1)?.url).toBe('/carts/load-1');

      // runService configured the cart upstream with the consistent-hash balancer.
      const view = await storefront.json<{ upstreams: { name: string; balancer: string }[] }>({
        path: '/mesh',
      });
      expect(view.upstreams.find((upstream) => upstream.name === 'cart')?.balancer).toBe(
        'consistent-hash',
      );
      expect(view.upstreams.find((upstream) => upstream.name === 'catalog')?.balancer).toBe(
        'peak-ewma',
      );

      const page = await storefront.request({ path: '/cart' });
      expect(page.statusCode).toBe(200);
      expect(await page.body.text()).toContain('/assets/js/main.js');
      const dashboard = await storefront.request({ path: '/dashboard' });
      expect(dashboard.statusCode).toBe(200);
      expect(dashboard.headers['content-type']).toMatch(/^text\/html/);
      await dashboard.body.dump();

      expect(await readdir(join(storefrontService.registryDir, 'storefront'))).toHaveLength(1);
      // An open dashboard stream does not hold the drain: the signal ends it.
      const [lease] = await readdir(join(storefrontService.registryDir, 'storefront'));
      expect(lease).toBeDefined();
      const url = (await storefront.request({ path: '/healthz' })).endpoint;
      await openEventStream(`http://${url}`);
      service.child.kill('SIGTERM');
      // Well inside the 20 s the drain would wait for the stream if nothing ended it.
      const stopped = await Promise.race([
        service.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still draining'), 10_000)),
      ]);
      expect(stopped).toBe(0);
      expect(await storefrontService.leaseFiles('storefront')).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await mesh.close();
      await registry.close();
    }
  });

  it.each([
    ['DASHBOARD_SERVICES', 'catalog,Cart'],
    ['TRELLIS_LAUNCHER_URL', 'ftp://127.0.0.1:1'],
  ])('exits with code 2 and names %s when it is %j', async (variable, value) => {
    const service = start({ [variable]: value });
    expect(await service.exited).toBe(2);
    expect(service.output()).toContain(`${variable} is`);
  });
});
