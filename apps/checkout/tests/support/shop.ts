import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startService, type ServiceProcess } from './service-process.js';

/** The services checkout calls, each a real process registered in one temporary local registry. */
export interface Shop {
  readonly registryDir: string;
  readonly catalog: ServiceProcess;
  readonly cart: ServiceProcess;
  readonly shipping: ServiceProcess;
  readonly payments: ServiceProcess[];
  /** Starts one more payments replica, e.g. with `ERROR_RATE`. */
  addPayments(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Stops every process (and checkout replicas started with `start`) and removes the registry. */
  stop(): Promise<void>;
  /** Starts any service in this shop's registry; stopped with the shop. */
  start(service: 'checkout', env?: Record<string, string>): Promise<ServiceProcess>;
}

export async function startShop(): Promise<Shop> {
  const registryDir = await mkdtemp(join(tmpdir(), 'checkout-shop-'));
  const processes: ServiceProcess[] = [];
  const start = async (
    service: ServiceProcess['service'],
    env: Record<string, string> = {},
  ): Promise<ServiceProcess> => {
    const started = await startService(service, { TRELLIS_REGISTRY_DIR: registryDir, ...env });
    processes.push(started);
    return started;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((process) => process.stop()));
    await rm(registryDir, { recursive: true, force: true });
  };
  try {
    const [catalog, cart, shipping, payments] = await Promise.all([
      start('catalog'),
      start('cart'),
      start('shipping'),
      start('payments', { REPLICA: 'payments-1' }),
    ]);
    const shop: Shop = {
      registryDir,
      catalog: catalog!,
      cart: cart!,
      shipping: shipping!,
      payments: [payments!],
      addPayments: async (env = {}) => {
        const replica = await start('payments', env);
        shop.payments.push(replica);
        return replica;
      },
      start: (service, env) => start(service, env),
      stop,
    };
    return shop;
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface CartLine {
  sku: string;
  qty: number;
}

/** Puts lines in a user's cart at the cart process. */
export async function fillCart(shop: Shop, userId: string, lines: CartLine[]): Promise<void> {
  for (const { sku, qty } of lines) {
    const answer = await call(`${shop.cart.url}/carts/${userId}/items/${sku}`, {
      method: 'PUT',
      body: { qty },
    });
    if (answer.status !== 200) throw new Error(`filling the cart answered ${answer.status}`);
  }
}

export async function cartOf(shop: Shop, userId: string): Promise<CartLine[]> {
  return (await call<{ items: CartLine[] }>(`${shop.cart.url}/carts/${userId}`)).body.items;
}

/** Every charge for the order, on every payments replica (each keeps its own ledger). */
export async function chargesFor(shop: Shop, orderId: string): Promise<{ chargeId: string }[]> {
  const lists = await Promise.all(
    shop.payments.map(async (replica) => {
      const answer = await call<{ chargeId: string }[]>(
        `${replica.url}/charges?orderId=${orderId}`,
      );
      if (answer.status !== 200) throw new Error(`listing charges answered ${answer.status}`);
      return answer.body;
    }),
  );
  return lists.flat();
}

export async function productAt(
  shop: Shop,
  sku: string,
): Promise<{ name: string; priceCents: number; stock: number }> {
  return (
    await call<{ name: string; priceCents: number; stock: number }>(
      `${shop.catalog.url}/products/${sku}`,
    )
  ).body;
}

export async function setKnobs(
  replica: ServiceProcess,
  knobs: { latencyMs?: number; errorRate?: number; hang?: boolean },
): Promise<void> {
  const answer = await call(`${replica.url}/admin/knobs`, { method: 'POST', body: knobs });
  if (answer.status !== 200) throw new Error(`setting knobs answered ${answer.status}`);
}

export const ADDRESS = {
  name: 'Ada Lovelace',
  line1: 'Teestraße 1',
  city: 'Berlin',
  postcode: '10115',
  country: 'DE',
};
