import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShop, startTestPlatform, type TestPlatform } from './shop-build.js';

interface UserOutcome {
  request: string;
  status: number;
  body: string;
}

interface Order {
  orderId: string;
  totalCents: number;
  chargeId: string;
}

interface Charge {
  orderId: string;
  amountCents: number;
}

const USERS = 6;
/** Shopping before the faults, then with all three faults on. */
const CALM_MS = 3_000;
const CHAOS_MS = 10_000;
/** Requests per shopping round: list, product, two cart lines, cart, checkout. */
const REQUESTS_PER_ROUND = 6;
const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postcode: 'N1 9GU',
  country: 'GB',
};

let testShop: TestPlatform | undefined;

beforeAll(async () => {
  await buildShop();
  testShop = await startTestPlatform(
    'trellis-e2e-',
    { storefront: 1, catalog: 3, cart: 2, checkout: 2, payments: 2, shipping: 2, loadgen: 1 },
    10,
  );
}, 180_000);

afterAll(async () => {
  await testShop?.stop();
}, 60_000);

/** One user's request through the storefront, recorded whatever its outcome. */
async function send(
  outcomes: UserOutcome[],
  user: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<UserOutcome> {
  const request = `${method} ${path} as ${user}`;
  let outcome: UserOutcome;
  try {
    const response = await fetch(new URL(path, testShop!.platform.storefrontUrl!), {
      method,
      headers: { 'x-user-id': user, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    outcome = { request, status: response.status, body: await response.text() };
  } catch (error) {
    outcome = { request, status: 0, body: String(error) };
  }
  outcomes.push(outcome);
  return outcome;
}

/** A shopper: fills the cart with two products and checks out, again and again until told to stop. */
async function shop(
  outcomes: UserOutcome[],
  user: string,
  orders: Order[],
  until: { stop: boolean },
): Promise<number> {
  const skus = ['tea-01', 'tea-03', 'coffee-02', 'snacks-01', 'ware-05', 'coffee-04'];
  let round = 0;
  for (; !until.stop; round += 1) {
    await send(outcomes, user, 'GET', '/api/products');
    const sku = skus[(round + user.length) % skus.length]!;
    await send(outcomes, user, 'GET', `/api/products/${sku}`);
    await send(outcomes, user, 'PUT', `/api/cart/items/${sku}`, { qty: 1 + (round % 3) });
    await send(outcomes, user, 'PUT', '/api/cart/items/tea-02', { qty: 1 });
    await send(outcomes, user, 'GET', '/api/cart');
    const key = `e2e-${user}-${round}-${Date.now()}`;
    const placed = await send(
      outcomes,
      user,
      'POST',
      '/api/checkout',
      { address: ADDRESS, paymentToken: 'tok_visa' },
      { 'idempotency-key': key },
    );
    if (placed.status === 201) orders.push(JSON.parse(placed.body) as Order);
  }
  return round;
}

async function chargesOf(url: string): Promise<Charge[]> {
  const response = await fetch(new URL('/charges', url));
  expect(response.status).toBe(200);
  const body = (await response.json()) as Charge[] | { charges: Charge[] };
  return Array.isArray(body) ? body : body.charges;
}

describe('the shop under chaos', () => {
  it('loses no user request and charges no order twice while a catalog replica dies, another slows and a payments replica fails half its calls', async () => {
    const outcomes: UserOutcome[] = [];
    const orders: Order[] = [];
    const until = { stop: false };
    const shoppers = Array.from({ length: USERS }, (_, index) =>
      shop(outcomes, `shopper-${index + 1}`, orders, until),
    );
    // The faults arrive while the shoppers are busy, and all three stay on to the end.
    await new Promise((resolve) => setTimeout(resolve, CALM_MS));
    const ordersBeforeChaos = orders.length;
    await testShop!.platform.chaos({ action: 'fail', replica: 'payments-1', errorRate: 0.5 });
    await testShop!.platform.chaos({ action: 'slow', replica: 'catalog-2', latencyMs: 300 });
    await testShop!.platform.chaos({ action: 'kill', replica: 'catalog-1' });
    await new Promise((resolve) => setTimeout(resolve, CHAOS_MS));
    until.stop = true;
    const rounds = (await Promise.all(shoppers)).reduce((sum, count) => sum + count, 0);

    const failed = outcomes.filter((outcome) => outcome.status < 200 || outcome.status >= 300);
    expect(failed).toEqual([]);
    expect(outcomes.length).toBe(rounds * REQUESTS_PER_ROUND);
    expect(orders).toHaveLength(rounds);
    // Enough shopping happened under the faults for the zero to mean something.
    expect(orders.length - ordersBeforeChaos).toBeGreaterThan(30);

    const status = await testShop!.platform.status();
    const catalog = status.services.find((service) => service.service === 'catalog')!;
    expect(catalog.replicas.find((replica) => replica.replica === 'catalog-1')?.state).toBe(
      'killed',
    );
    // The kill really happened: catalog-1's lease is gone from the registry.
    const leases = await readdir(join(testShop!.stateDir, 'registry', 'catalog'));
    expect(leases.filter((name) => name.endsWith('.json'))).toHaveLength(2);

    // Every order was charged exactly once, with its total, across both payments replicas (read
    // once payments-1 is healed: its failure knob answers 503 to reads too).
    await testShop!.platform.chaos({ action: 'heal', replica: 'payments-1' });
    const payments = status.services.find((service) => service.service === 'payments')!;
    const charges = (
      await Promise.all(payments.replicas.map((replica) => chargesOf(replica.url!)))
    ).flat();
    const byOrder = new Map<string, Charge[]>();
    for (const charge of charges) {
      byOrder.set(charge.orderId, [...(byOrder.get(charge.orderId) ?? []), charge]);
    }
    for (const order of orders) {
      expect(byOrder.get(order.orderId), order.orderId).toHaveLength(1);
      expect(byOrder.get(order.orderId)![0]!.amountCents).toBe(order.totalCents);
    }
    const doubled = [...byOrder].filter(([, list]) => list.length > 1);
    expect(doubled).toEqual([]);

    // The payments fault bit: the checkouts' meshes retried charges that payments-1 refused.
    const checkout = status.services.find((service) => service.service === 'checkout')!;
    const retries = await Promise.all(
      checkout.replicas.map(async (replica) => {
        const view = (await (await fetch(new URL('/mesh', replica.url!))).json()) as {
          upstreams: { name: string; retryBudget?: { retries: number } }[];
        };
        return view.upstreams.find((upstream) => upstream.name === 'payments')?.retryBudget
          ?.retries;
      }),
    );
    expect(retries.reduce((sum: number, count) => sum + (count ?? 0), 0)).toBeGreaterThan(0);

    // The loadgen's users were not failed either.
    expect(status.load?.failed).toBe(0);
    expect(status.load?.ok).toBeGreaterThan(0);
  }, 180_000);
});
