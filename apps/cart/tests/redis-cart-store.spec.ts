import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_TTL_MS } from '../src/cart.js';
import { StoreUnavailableError } from '../src/cart-store.js';
import { RedisCartStore } from '../src/redis-cart-store.js';
import { findRedisServer, RedisServer } from '@trellis/shop-kit/testing';
import { untilServing } from './support/store-kinds.js';

const redisServer = findRedisServer();

describe.skipIf(!redisServer)('RedisCartStore against a real redis-server', () => {
  let server: RedisServer;
  let inspect: Redis;
  const stores: RedisCartStore[] = [];

  async function openStore(options: { keyPrefix?: string; claimTtlMs?: number } = {}) {
    const store = new RedisCartStore({
      url: server.url,
      logger: pino({ level: 'silent' }),
      ...options,
    });
    stores.push(store);
    await untilServing(store);
    return store;
  }

  beforeAll(async () => {
    server = await RedisServer.start(redisServer!);
    inspect = server.client();
  });

  afterAll(async () => {
    inspect?.disconnect();
    await server?.stop();
  });

  beforeEach(() => inspect.flushall());

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('keeps a cart in one hash under trellis:cart:, tagged with the user id', async () => {
    const store = await openStore();
    await store.setItem('ada', 'tea-01', 2);
    await store.setItem('ada', 'mug-03', 1);
    expect(await inspect.keys('*')).toEqual(['trellis:cart:{ada}:items']);
    expect(await inspect.hgetall('trellis:cart:{ada}:items')).toEqual({
      'tea-01': '2',
      'mug-03': '1',
    });
    await store.removeItem('ada', 'tea-01');
    await store.removeItem('ada', 'mug-03');
    // An emptied hash is gone from Redis, so abandoned empty carts cost nothing.
    expect(await inspect.keys('*')).toEqual([]);
  });

  it('keeps a claim as JSON for 24 hours, and keeps its expiry when the items go back', async () => {
    const store = await openStore();
    await store.setItem('ada', 'tea-01', 2);
    await store.claim('ada', 'checkout-1');
    const claimKey = 'trellis:cart:{ada}:claim:checkout-1';
    expect(JSON.parse((await inspect.get(claimKey))!)).toEqual({
      state: 'claimed',
      items: [{ sku: 'tea-01', qty: 2 }],
    });
    const ttl = await inspect.pttl(claimKey);
    expect(ttl).toBeLessThanOrEqual(CLAIM_TTL_MS);
    expect(ttl).toBeGreaterThan(CLAIM_TTL_MS - 60_000);

    await store.release('ada', 'checkout-1');
    expect(JSON.parse((await inspect.get(claimKey))!).state).toBe('released');
    expect(await inspect.pttl(claimKey)).toBeGreaterThan(CLAIM_TTL_MS - 60_000);
  });

  it('forgets a claim once it expires', async () => {
    const store = await openStore({ claimTtlMs: 200 });
    await store.setItem('ada', 'tea-01', 2);
    await store.claim('ada', 'checkout-1');
    await untilGone(inspect, 'trellis:cart:{ada}:claim:checkout-1');
    expect(await store.release('ada', 'checkout-1')).toEqual({ kind: 'unknown' });
    expect(await store.claim('ada', 'checkout-1')).toEqual({ kind: 'empty' });
  });

  it('uses the key prefix it is given', async () => {
    const store = await openStore({ keyPrefix: 'shop-b:cart:' });
    await store.setItem('ada', 'tea-01', 2);
    expect(await inspect.keys('*')).toEqual(['shop-b:cart:{ada}:items']);
  });

  it('closes its connection, and answers StoreUnavailableError afterwards', async () => {
    const clients = async () =>
      String(await inspect.client('LIST'))
        .trim()
        .split('\n').length;
    const before = await clients();
    const store = await openStore();
    expect(await clients()).toBe(before + 1);
    await store.close();
    await untilTrue(async () => (await clients()) === before);
    await expect(store.get('ada')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

async function untilGone(redis: Redis, key: string): Promise<void> {
  await untilTrue(async () => (await redis.exists(key)) === 0);
}

async function untilTrue(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
