import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisCartStore } from '../src/redis-cart-store.js';
import { startReplica, type CartReplica } from './support/cart-replica.js';
import { findRedisServer, freePort, RedisServer } from '@trellis/shop-kit/testing';
import { untilServing } from './support/store-kinds.js';

const redisServer = findRedisServer();
const KEY = 'checkout-0001';

/** Every cart route, as a caller would send them. */
const everyRoute = (replica: CartReplica) => [
  request(replica.server).get('/carts/ada'),
  request(replica.server).put('/carts/ada/items/tea-01').send({ qty: 1 }),
  request(replica.server).delete('/carts/ada/items/tea-01'),
  request(replica.server).post('/carts/ada/checkouts').set('idempotency-key', KEY),
  request(replica.server).delete(`/carts/ada/checkouts/${KEY}`),
];

async function expectUnavailable(replica: CartReplica): Promise<void> {
  for (const answer of await Promise.all(everyRoute(replica))) {
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.body.error).toEqual({
      code: 'ERR_CART_STORE_UNAVAILABLE',
      message: 'the cart store (Redis) is unavailable right now; retry shortly',
    });
  }
  // The process is fine; only the store is away.
  await request(replica.server).get('/healthz').expect(200);
}

describe('the cart with Redis away', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers 503 at once when Redis was never reachable', async () => {
    const store = new RedisCartStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => store.close());
    const replica = await startReplica(store);
    cleanups.push(() => replica.close());
    await expectUnavailable(replica);
  });

  it.skipIf(!redisServer)(
    'keeps answering through a Redis crash mid-run (503 while it is down) and recovers',
    async () => {
      const server = await RedisServer.start(redisServer!);
      cleanups.push(() => server.stop());
      const store = new RedisCartStore({ url: server.url, logger: pino({ level: 'silent' }) });
      cleanups.push(() => store.close());
      await untilServing(store);
      const replica = await startReplica(store);
      cleanups.push(() => replica.close());
      await request(replica.server).put('/carts/ada/items/tea-01').send({ qty: 2 }).expect(200);

      // Four callers keep adding to carts; Redis dies under them after ten answers.
      const statuses: number[] = [];
      let killed: Promise<void> | undefined;
      const caller = async (id: number): Promise<void> => {
        for (let sent = 0; statuses.filter((status) => status === 503).length < 10; sent++) {
          const answer = await request(replica.server)
            .put(`/carts/caller-${id}/items/tea-${String(sent % 100).padStart(2, '0')}`)
            .send({ qty: 1 });
          statuses.push(answer.status);
          if (statuses.length === 10) killed ??= server.kill();
        }
      };
      await Promise.all([0, 1, 2, 3].map(caller));
      await killed;
      expect(new Set(statuses)).toEqual(new Set([200, 503]));
      await expectUnavailable(replica);

      // Back, empty (it keeps nothing on disk here): the same client reconnects by itself.
      await server.restart();
      const giveUpAt = Date.now() + 20_000;
      while ((await request(replica.server).get('/carts/ada')).status !== 200) {
        if (Date.now() > giveUpAt) throw new Error('the store did not reconnect within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await request(replica.server).put('/carts/ada/items/tea-01').send({ qty: 3 }).expect(200);
      const claimed = await request(replica.server)
        .post('/carts/ada/checkouts')
        .set('idempotency-key', KEY)
        .expect(201);
      expect(claimed.body.items).toEqual([{ sku: 'tea-01', qty: 3 }]);
    },
    60_000,
  );
});
