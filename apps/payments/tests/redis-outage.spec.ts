import { findRedisServer, freePort, RedisServer } from '@trellis/shop-kit/testing';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisChargeLedger } from '../src/redis-charge-ledger.js';
import { openRedisLedger } from './support/ledger-kinds.js';
import { startReplica, type PaymentsReplica } from './support/payments-replica.js';

const redisServer = findRedisServer();
const order = { amountCents: 4_250, currency: 'EUR', token: 'tok_visa', orderId: 'order-1' };

/** Every charge route, as a caller would send them. */
const everyRoute = (replica: PaymentsReplica) => [
  request(replica.server).post('/charges').set('idempotency-key', 'checkout-1').send(order),
  request(replica.server).get('/charges'),
  request(replica.server).get('/charges?orderId=order-1'),
  request(replica.server).get('/charges/ch_000001'),
];

async function expectUnavailable(replica: PaymentsReplica): Promise<void> {
  for (const answer of await Promise.all(everyRoute(replica))) {
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.body.error).toEqual({
      code: 'ERR_LEDGER_UNAVAILABLE',
      message: 'the charge ledger (Redis) is unavailable right now; retry shortly',
    });
  }
  // The process is fine; only the ledger is away.
  await request(replica.server).get('/healthz').expect(200);
}

describe('payments with Redis away', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers 503 at once when Redis was never reachable', async () => {
    const ledger = new RedisChargeLedger({
      url: `redis://127.0.0.1:${await freePort()}`,
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => ledger.close());
    const replica = await startReplica(ledger);
    cleanups.push(() => replica.close());
    await expectUnavailable(replica);
  });

  it.skipIf(!redisServer)(
    'answers 503 while Redis is down, without crashing, and charges again once it is back',
    async () => {
      const server = await RedisServer.start(redisServer!);
      cleanups.push(() => server.stop());
      const ledger = await openRedisLedger(server.url);
      cleanups.push(() => ledger.close());
      const replica = await startReplica(ledger);
      cleanups.push(() => replica.close());
      await request(replica.server)
        .post('/charges')
        .set('idempotency-key', 'before-crash')
        .send(order)
        .expect(201);

      await server.kill();
      await expectUnavailable(replica);

      // Back, empty (it keeps nothing on disk here): the same client reconnects by itself.
      await server.restart();
      const giveUpAt = Date.now() + 20_000;
      while ((await request(replica.server).get('/charges')).status !== 200) {
        if (Date.now() > giveUpAt) throw new Error('the ledger did not reconnect within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const charged = await request(replica.server)
        .post('/charges')
        .set('idempotency-key', 'checkout-1')
        .send(order)
        .expect(201);
      expect(charged.body).toMatchObject({ ...order, status: 'captured' });
    },
    60_000,
  );
});
