import { createMesh } from '@trellis/mesh';
import { findRedisServer, RedisServer } from '@trellis/shop-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisChargeLedger } from '../src/redis-charge-ledger.js';
import { openRedisLedger } from './support/ledger-kinds.js';
import { startReplica, type PaymentsReplica } from './support/payments-replica.js';

const redisServer = findRedisServer();
const order = { amountCents: 1_999, currency: 'EUR', token: 'tok_visa', orderId: 'order-7' };

// Two replicas, each with its own connection to one Redis, as two pods would run.
describe.skipIf(!redisServer)('two payments replicas on one Redis', () => {
  let server: RedisServer;
  const ledgers: RedisChargeLedger[] = [];
  const replicas: PaymentsReplica[] = [];

  beforeAll(async () => {
    server = await RedisServer.start(redisServer!);
    for (const name of ['payments-a', 'payments-b']) {
      // Processing time, so copies on both replicas arrive while the first is still running.
      const ledger = await openRedisLedger(server.url, 50);
      ledgers.push(ledger);
      replicas.push(await startReplica(ledger, name));
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    for (const ledger of ledgers) await ledger.close();
    await server?.stop();
  });

  const caller = () =>
    createMesh({
      discovery: [],
      upstreams: {
        payments: {
          endpoints: replicas.map((replica) => ({ address: '127.0.0.1', port: replica.port })),
          balancer: 'round-robin',
        },
      },
    });

  it('charges once in total for 20 concurrent copies of one charge spread over both', async () => {
    const mesh = caller();
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          mesh.client('payments').request({
            method: 'POST',
            path: '/charges',
            headers: { 'idempotency-key': 'checkout-race' },
            json: order,
          }),
        ),
      );
      const bodies = await Promise.all(
        answers.map(async (answer) => ({
          status: answer.statusCode,
          replayed: answer.headers['idempotent-replayed'],
          body: (await answer.body.json()) as { chargeId: string },
        })),
      );
      expect(bodies.map((answer) => answer.status)).toEqual(Array(20).fill(201));
      expect(new Set(bodies.map((answer) => answer.body.chargeId)).size).toBe(1);
      expect(bodies.filter((answer) => answer.replayed === undefined)).toHaveLength(1);
      for (const ledger of ledgers) expect(await ledger.list('order-7')).toHaveLength(1);
      const inspect = server.client();
      try {
        expect(await inspect.smembers('trellis:payments:order:order-7')).toEqual([
          bodies[0]!.body.chargeId,
        ]);
        const stored = JSON.parse((await inspect.get('trellis:payments:key:checkout-race'))!);
        expect(stored.outcome.body).toEqual(bodies[0]!.body);
      } finally {
        inspect.disconnect();
      }
    } finally {
      await mesh.close();
    }
  });

  it('answers 409 on the other replica when a key is reused for a different charge', async () => {
    const mesh = caller();
    try {
      const send = (amountCents: number) =>
        mesh.client('payments').request({
          method: 'POST',
          path: '/charges',
          headers: { 'idempotency-key': 'checkout-reuse' },
          json: { ...order, orderId: 'order-8', amountCents },
        });
      const first = await send(500);
      expect(first.statusCode).toBe(201);
      await first.body.dump();
      // Round-robin: the next call goes to the other replica.
      const reused = await send(600);
      expect(reused.statusCode).toBe(409);
      expect(((await reused.body.json()) as { error: { code: string } }).error.code).toBe(
        'ERR_IDEMPOTENCY_KEY_REUSED',
      );
      expect(await ledgers[1]!.list('order-8')).toHaveLength(1);
    } finally {
      await mesh.close();
    }
  });
});
