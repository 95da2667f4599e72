import { pino } from 'pino';
import type { CartStore } from '../../src/cart-store.js';
import { MemoryCartStore } from '../../src/memory-cart-store.js';
import { RedisCartStore } from '../../src/redis-cart-store.js';
import { findRedisServer, RedisServer } from '@trellis/shop-kit/testing';

/** One CartStore implementation, set up so the same tests run against each. */
export interface StoreKind {
  name: string;
  /** False when this machine cannot run it (no redis-server); its tests are skipped. */
  available: boolean;
  setUp(): Promise<void>;
  /** A store with no carts in it. */
  open(): Promise<CartStore>;
  /**
   * The store a second replica would use: for Redis, a second connection to the same server;
   * in memory, the same object (replicas do not share memory; the mesh routes a user to one).
   */
  openPeer(store: CartStore): Promise<CartStore>;
  tearDown(): Promise<void>;
}

export const memoryKind: StoreKind = {
  name: 'memory',
  available: true,
  setUp: async () => undefined,
  open: async () => new MemoryCartStore(),
  openPeer: async (store) => store,
  tearDown: async () => undefined,
};

export function redisKind(): StoreKind {
  const binary = findRedisServer();
  let server: RedisServer | undefined;
  const connect = async (): Promise<CartStore> => {
    const store = new RedisCartStore({ url: server!.url, logger: pino({ level: 'silent' }) });
    await untilServing(store);
    return store;
  };
  return {
    name: 'redis',
    available: binary !== undefined,
    setUp: async () => {
      server = await RedisServer.start(binary!);
    },
    open: async () => {
      await server!.flush();
      return connect();
    },
    openPeer: () => connect(),
    tearDown: async () => {
      await server?.stop();
    },
  };
}

/** Waits until the store answers (a Redis client connects in the background). */
export async function untilServing(store: CartStore, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.get('probe');
      return;
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
