import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, silentLogger, type Mesh } from '../src/index.js';
import { findPrometheus, PrometheusServer } from './support/prometheus.js';
import { startReplicas, type Replica } from './support/replicas.js';

const prometheusBinary = findPrometheus();
const missing =
  'prometheus is not installed: install it (Debian/Ubuntu: apt-get install prometheus); .ci/run does';
if (!prometheusBinary && !process.env['CI'])
  console.warn(`Skipping the Prometheus scrape test: ${missing}`);

describe.skipIf(!prometheusBinary && !process.env['CI'])('scraped by a real Prometheus', () => {
  let replicas: Replica[] = [];
  let mesh: Mesh;
  let metricsServer: Server;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    if (!prometheusBinary) throw new Error(missing);
    replicas = [...(await startReplicas(2, 'catalog')), ...(await startReplicas(2, 'cart'))];
    const registry = new Registry();
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      metrics: { registry },
      upstreams: {
        catalog: { endpoints: replicas.slice(0, 2).map((r) => r.endpoint) },
        cart: { endpoints: replicas.slice(2).map((r) => r.endpoint) },
      },
    });
    metricsServer = createServer((request, response) => {
      void registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      });
    });
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    const port = (metricsServer.address() as AddressInfo).port;
    prometheus = await PrometheusServer.start(prometheusBinary, [`127.0.0.1:${port}`]);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await mesh?.close({ force: true });
    await new Promise((resolve) => metricsServer?.close(resolve));
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  it('answers a PromQL query for the request rate per upstream', async () => {
    const catalog = mesh.client('catalog');
    const cart = mesh.client('cart');
    // About 40 calls/s to catalog and 20/s to cart, for up to 20 s, until Prometheus sees both.
    let rates = new Map<string, number>();
    const started = Date.now();
    let tick = 0;
    while (Date.now() - started < 20_000) {
      await Promise.all([
        catalog.get('/').then((r) => r.body.dump()),
        catalog.get('/').then((r) => r.body.dump()),
        ...(tick % 2 === 0 ? [cart.get('/').then((r) => r.body.dump())] : []),
      ]);
      tick += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (tick % 20 === 0) {
        const result = await prometheus!.query(
          'sum by (upstream) (rate(trellis_client_requests_total[5s]))',
        );
        rates = new Map(
          result.map((sample) => [sample.metric['upstream']!, Number(sample.value[1])]),
        );
        // A 5 s rate over a series younger than that reads low: wait for the steady values.
        if ((rates.get('catalog') ?? 0) > 10 && (rates.get('cart') ?? 0) > 3) break;
      }
    }
    expect(rates.get('catalog')).toBeGreaterThan(10);
    expect(rates.get('cart')).toBeGreaterThan(3);
    expect(rates.get('catalog')!).toBeGreaterThan(rates.get('cart')!);
    const histogram = await prometheus!.query(
      'histogram_quantile(0.99, sum by (le, upstream) (rate(http_client_request_duration_seconds_bucket[5s])))',
    );
    expect(histogram.map((sample) => sample.metric['upstream']).sort()).toEqual([
      'cart',
      'catalog',
    ]);
  }, 60_000);
});
