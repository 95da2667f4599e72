// The storefront app over fake upstreams, set up once per test file.
import type { Router } from 'express';
import { afterAll, beforeAll } from 'vitest';
import {
  PRODUCTS,
  startCart,
  startCatalog,
  startCheckout,
  type FakeServer,
} from './fake-upstreams.js';
import { storefrontWith, type StorefrontUnderTest } from './storefront.js';

export type FakeCart = Awaited<ReturnType<typeof startCart>>;

/** A fake catalog, cart replicas and checkout, and the storefront app that calls them. */
export interface FakeShop {
  readonly catalog: FakeServer;
  /** The cart replicas, each with its own memory; the checkout claims from the first one's. */
  readonly carts: readonly FakeCart[];
  /** The first cart replica (the only one unless more were asked for). */
  readonly cart: FakeCart;
  readonly checkout: FakeServer;
  readonly storefront: StorefrontUnderTest;
}

export interface FakeShopOptions {
  /** How many cart replicas the storefront's consistent hash spreads users over; default 1. */
  cartReplicas?: number;
  /** Routes the app mounts as the dashboard. */
  dashboard?: Router;
}

/**
 * Starts the fakes and builds the storefront on them before the file's tests, and closes them all
 * after. The fields are there once the file's `beforeAll` hooks have run.
 */
export function useFakeShop({ cartReplicas = 1, ...extra }: FakeShopOptions = {}): FakeShop {
  let started: FakeShop | undefined;
  const shop = (): FakeShop => {
    if (!started) throw new Error('the fake shop runs only while the tests run');
    return started;
  };

  beforeAll(async () => {
    const catalog = await startCatalog(PRODUCTS);
    const carts: FakeCart[] = [];
    for (let replica = 0; replica < cartReplicas; replica++) carts.push(await startCart());
    const checkout = await startCheckout(carts[0]!.carts);
    const storefront = storefrontWith(
      {
        catalog: [catalog.endpoint],
        cart: carts.map((cart) => cart.endpoint),
        checkout: [checkout.endpoint],
      },
      extra,
    );
    started = { catalog, carts, cart: carts[0]!, checkout, storefront };
  });

  afterAll(async () => {
    if (!started) return;
    const { storefront, catalog, carts, checkout } = started;
    await storefront.mesh.close();
    await Promise.all([catalog.close(), checkout.close(), ...carts.map((cart) => cart.close())]);
  });

  return {
    get catalog() {
      return shop().catalog;
    },
    get carts() {
      return shop().carts;
    },
    get cart() {
      return shop().cart;
    },
    get checkout() {
      return shop().checkout;
    },
    get storefront() {
      return shop().storefront;
    },
  };
}
