import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../src/order.js';
import { buildServices, call, type ServiceProcess } from './support/service-process.js';
import {
  ADDRESS,
  cartOf,
  chargesFor,
  fillCart,
  setKnobs,
  startShop,
  type Shop,
} from './support/shop.js';

// The whole checkout path with every service a real process, found through one local registry.
let shop: Shop;
let checkout: ServiceProcess;

beforeAll(async () => {
  await buildServices(['catalog', 'cart', 'shipping', 'payments', 'checkout']);
  shop = await startShop();
  checkout = await shop.start('checkout', { REPLICA: 'checkout-1' });
}, 180_000);

afterAll(() => shop?.stop(), 60_000);

function placeOrder(at: ServiceProcess, key: string, userId: string, paymentToken = 'tok_visa') {
  return call<Order & { error: { code: string; message: string } }>(`${at.url}/checkouts`, {
    method: 'POST',
    headers: { 'idempotency-key': key },
    body: { userId, address: ADDRESS, paymentToken },
  });
}

interface MeshView {
  upstreams: { name: string; balancer: string; endpoints: { port: number; sent: number }[] }[];
}

async function meshView(at: ServiceProcess): Promise<MeshView> {
  return (await call<MeshView>(`${at.url}/mesh`)).body;
}

describe('checkout with real catalog, cart, shipping and payments processes', () => {
  it('places an order: the cart is emptied, one charge, a shipment shipping knows', async () => {
    await fillCart(shop, 'proc-full', [
      { sku: 'tea-04', qty: 2 },
      { sku: 'snacks-03', qty: 1 },
    ]);
    const placed = await placeOrder(checkout, 'proc-full-key-1', 'proc-full');
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      userId: 'proc-full',
      status: 'confirmed',
      currency: 'EUR',
      shippingCents: 490,
      carrier: 'PostNet',
    });
    expect(placed.body.items.map((line) => [line.sku, line.qty])).toEqual([
      ['snacks-03', 1],
      ['tea-04', 2],
    ]);
    expect(placed.body.totalCents).toBe(placed.body.subtotalCents + 490);
    expect(await cartOf(shop, 'proc-full')).toEqual([]);
    const charges = await chargesFor(shop, placed.body.orderId);
    expect(charges).toEqual([expect.objectContaining({ amountCents: placed.body.totalCents })]);
    const shipment = await call(`${shop.shipping.url}/shipments/${placed.body.trackingNumber}`);
    expect(shipment).toMatchObject({ status: 200, body: { orderId: placed.body.orderId } });
    expect((await call(`${checkout.url}/orders/${placed.body.orderId}`)).body).toEqual(placed.body);
    // The cart upstream is balanced by user, as the contract asks of every cart caller.
    const cart = (await meshView(checkout)).upstreams.find((upstream) => upstream.name === 'cart');
    expect(cart?.balancer).toBe('consistent-hash');
  });

  it('answers the same key again with the same order and one charge, on this and on another checkout replica', async () => {
    await fillCart(shop, 'proc-twice', [{ sku: 'coffee-05', qty: 1 }]);
    const first = await placeOrder(checkout, 'proc-twice-key-1', 'proc-twice');
    expect(first.status).toBe(201);
    const again = await placeOrder(checkout, 'proc-twice-key-1', 'proc-twice');
    expect(again).toMatchObject({ status: 200, body: first.body });
    const other = await shop.start('checkout', { REPLICA: 'checkout-2' });
    // Another replica runs the checkout again; every step is keyed, so it is the same order.
    const elsewhere = await placeOrder(other, 'proc-twice-key-1', 'proc-twice');
    expect(elsewhere.body).toEqual(first.body);
    expect(await chargesFor(shop, first.body.orderId)).toHaveLength(1);
    expect(await other.stop()).toBe(0);
  });

  it('answers 402 for a declined card and puts the items back in the cart', async () => {
    const lines = [
      { sku: 'ware-04', qty: 1 },
      { sku: 'ware-07', qty: 2 },
    ];
    await fillCart(shop, 'proc-decline', lines);
    const declined = await placeOrder(
      checkout,
      'proc-decline-key-1',
      'proc-decline',
      'tok_decline',
    );
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe('ERR_PAYMENT_DECLINED');
    expect(await cartOf(shop, 'proc-decline')).toEqual(lines);
  });

  it('answers 409 ERR_CART_EMPTY for an empty cart', async () => {
    const empty = await placeOrder(checkout, 'proc-empty-key-1', 'proc-empty');
    expect(empty.status).toBe(409);
    expect(empty.body.error.code).toBe('ERR_CART_EMPTY');
  });

  it('places 20 orders with exactly one charge each while one of two payments replicas fails half its calls', async () => {
    const flaky = await shop.addPayments({ REPLICA: 'payments-2', ERROR_RATE: '0.5' });
    // Wait until checkout's mesh has found the second replica in the registry.
    await expect
      .poll(
        async () =>
          (await meshView(checkout)).upstreams.find((upstream) => upstream.name === 'payments')
            ?.endpoints.length,
        { timeout: 10_000, interval: 200 },
      )
      .toBe(2);
    const users = Array.from({ length: 20 }, (_, index) => `proc-flaky-${index}`);
    for (const userId of users) await fillCart(shop, userId, [{ sku: 'tea-06', qty: 1 }]);
    const placed = await Promise.all(
      users.map((userId) => placeOrder(checkout, `${userId}-key-1`, userId)),
    );
    expect(placed.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    // The failing replica was really in the rotation.
    const payments = (await meshView(checkout)).upstreams.find(
      (upstream) => upstream.name === 'payments',
    );
    expect(
      payments?.endpoints.find((endpoint) => endpoint.port === flaky.port)?.sent,
    ).toBeGreaterThan(0);
    await setKnobs(flaky, { errorRate: 0 });
    for (const answer of placed) {
      const charges = await chargesFor(shop, answer.body.orderId);
      expect(charges).toEqual([expect.objectContaining({ chargeId: answer.body.chargeId })]);
    }
  });
});
