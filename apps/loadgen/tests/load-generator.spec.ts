import { setTimeout as sleep } from 'node:timers/promises';
import { createMesh, silentLogger, type Mesh } from '@trellis/mesh';
import { afterEach, describe, expect, it } from 'vitest';
import { LOAD_ADDRESS, LOAD_PAYMENT_TOKEN } from '../src/journeys.js';
import { LoadGenerator } from '../src/load-generator.js';
import { parseMix } from '../src/load-mix.js';
import { startFakeStorefront, type FakeStorefront } from './support/fake-storefront.js';

let storefront: FakeStorefront | undefined;
let mesh: Mesh | undefined;
let generator: LoadGenerator | undefined;

afterEach(async () => {
  generator?.stop();
  await mesh?.close();
  await storefront?.close();
  generator = mesh = storefront = undefined;
});

function generate(port: number, options: { rps: number; mix: string; maxInFlight?: number }) {
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    upstreams: { storefront: { endpoints: [{ address: '127.0.0.1', port }] } },
  });
  generator = new LoadGenerator({
    storefront: mesh.client('storefront'),
    rps: options.rps,
    mix: parseMix(options.mix),
    maxInFlight: options.maxInFlight ?? 50,
    users: 4,
  });
  generator.start();
  return generator;
}

/** Waits until `done()` holds, checking every 50 ms, for at most `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

describe('the load generator against a storefront', () => {
  it('walks the shop at the set rate, as load users, in the set mix', async () => {
    storefront = await startFakeStorefront();
    const load = generate(storefront.port, { rps: 40, mix: 'browse=50,cart=25,checkout=25' });
    await sleep(2_000);
    load.set({ rps: 0 });
    await waitFor(() => load.report().inFlight === 0);
    const report = load.report();

    // 40 journeys a second for 2 s is 80; the bounds leave room for a busy machine.
    expect(report.sent).toBeGreaterThanOrEqual(50);
    expect(report.sent).toBeLessThanOrEqual(90);
    expect(report.failed).toBe(0);
    expect(report.ok).toBe(report.sent);
    for (const kind of ['browse', 'cart', 'checkout'] as const) {
      expect(report.byKind[kind].sent).toBeGreaterThan(0);
      expect(report.byKind[kind].ok).toBe(report.byKind[kind].sent);
    }

    // What the storefront received matches the journeys: every browse opens one product, every
    // cart and checkout journey puts one item, every checkout posts once with its own key.
    const { byKind } = report;
    expect(storefront.count('GET', /^\/api\/products\/[a-z]+-\d{2}$/)).toBe(byKind.browse.sent);
    expect(storefront.count('PUT', /^\/api\/cart\/items\//)).toBe(
      byKind.cart.sent + byKind.checkout.sent,
    );
    const checkouts = storefront.received.filter((request) => request.path === '/api/checkout');
    expect(checkouts).toHaveLength(byKind.checkout.sent);
    expect(new Set(checkouts.map((request) => request.idempotencyKey)).size).toBe(checkouts.length);
    expect(checkouts[0]!.body).toEqual({ address: LOAD_ADDRESS, paymentToken: LOAD_PAYMENT_TOKEN });
    for (const request of storefront.received) expect(request.userId).toMatch(/^load-[1-4]$/);
    const puts = storefront.received.filter((request) => request.method === 'PUT');
    for (const put of puts) expect((put.body as { qty: number }).qty).toBeGreaterThanOrEqual(1);
  });

  it('sends nothing at rate 0, and starts when the rate is raised', async () => {
    storefront = await startFakeStorefront();
    const load = generate(storefront.port, { rps: 0, mix: 'browse=1' });
    await sleep(500);
    expect(storefront.received).toHaveLength(0);
    load.set({ rps: 20 });
    await waitFor(() => load.report().ok >= 3);
    expect(storefront.received.length).toBeGreaterThanOrEqual(6);
  });

  it('records failed journeys with their status and message, keeping the last 20', async () => {
    storefront = await startFakeStorefront({ checkoutStatus: 402 });
    const load = generate(storefront.port, { rps: 50, mix: 'checkout=1' });
    await waitFor(() => load.report().failed >= 25);
    load.stop();
    const report = load.report();
    expect(report.byKind.checkout.failed).toBeGreaterThanOrEqual(25);
    expect(report.recentFailures).toHaveLength(20);
    expect(report.recentFailures[0]).toMatchObject({
      kind: 'checkout',
      status: 402,
      message: 'POST /api/checkout: ERR_PAYMENT_DECLINED: the card was declined',
    });
    expect(Date.parse(report.recentFailures[0]!.at)).not.toBeNaN();
  });

  it('records a journey that got no answer with status null', async () => {
    storefront = await startFakeStorefront();
    const port = storefront.port;
    await storefront.close();
    storefront = undefined;
    const load = generate(port, { rps: 20, mix: 'browse=1' });
    await waitFor(() => load.report().failed >= 1);
    expect(load.report().recentFailures[0]).toMatchObject({ kind: 'browse', status: null });
    expect(load.report().recentFailures[0]!.message).toMatch(/^GET \/api\/products: ERR_/);
  });

  it('caps the journeys under way when the storefront stalls, skipping the arrivals beyond', async () => {
    storefront = await startFakeStorefront({ stall: true });
    const load = generate(storefront.port, { rps: 50, mix: 'browse=1', maxInFlight: 5 });
    await waitFor(() => load.report().skipped >= 10);
    const report = load.report();
    expect(report.inFlight).toBe(5);
    expect(report.sent).toBe(5);
    expect(storefront.received).toHaveLength(5);
    // Stopping cancels the journeys under way.
    load.stop();
    await waitFor(() => load.report().inFlight === 0);
    expect(load.report().failed).toBe(5);
  });
});
