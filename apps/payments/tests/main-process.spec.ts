import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import {
  findRedisServer,
  loggedAt,
  RedisServer,
  useCompiledService,
} from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';

const paymentsService = useCompiledService(join(__dirname, '..'), 'payments');
const redisServer = findRedisServer();
const order = { amountCents: 4_250, currency: 'EUR', token: 'tok_visa', orderId: 'order-1' };

/** Registers, takes a charge from a caller that finds it in the registry, drains on SIGTERM. */
async function serveAndDrain(
  env: Record<string, string>,
): Promise<{ chargeId: string; output: string }> {
  const service = paymentsService.start({ DRAIN_DELAY_MS: '100', ...env });
  const registry = new LocalRegistry({ dir: paymentsService.registryDir });
  const mesh = createMesh({ discovery: registry });
  try {
    const payments = mesh.client('payments');
    const charge = await payments.json<{ chargeId: string }>({
      method: 'POST',
      path: '/charges',
      headers: { 'idempotency-key': 'checkout-main' },
      json: order,
    });
    expect(await payments.json({ path: `/charges/${charge.chargeId}` })).toEqual(charge);
    expect(await readdir(join(paymentsService.registryDir, 'payments'))).toHaveLength(1);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(await paymentsService.leaseFiles('payments')).toEqual([]);
    return { chargeId: charge.chargeId, output: service.output() };
  } finally {
    service.child.kill('SIGKILL');
    await mesh.close();
    await registry.close();
  }
}

describe('the payments process', () => {
  it('keeps charges in memory, serves callers that find it, and drains on SIGTERM', async () => {
    const { output } = await serveAndDrain({});
    expect(output).toMatch(/charges are kept in memory/);
  });

  it.skipIf(!redisServer)(
    'keeps charges in Redis when REDIS_URL is set, and closes the connection on drain',
    async () => {
      const server = await RedisServer.start(redisServer!);
      const inspect = server.client();
      try {
        const { chargeId, output } = await serveAndDrain({ REDIS_URL: server.url });
        const stored = JSON.parse((await inspect.get('trellis:payments:key:checkout-main'))!);
        expect(stored.outcome).toMatchObject({ statusCode: 201, body: { ...order, chargeId } });
        expect(await inspect.smembers('trellis:payments:order:order-1')).toEqual([chargeId]);
        expect(output).toMatch(/charges are kept in Redis/);
        // Closed by the drain after in-flight requests, before the process exits.
        expect(output).toMatch(/closed the Redis connection/);
        expect(loggedAt(output, 'closed the Redis connection')).toBeLessThanOrEqual(
          loggedAt(output, 'Drain complete'),
        );
      } finally {
        inspect.disconnect();
        await server.stop();
      }
    },
  );

  it('exits with code 2 and names REDIS_URL when it is not a Redis URL', async () => {
    const service = paymentsService.start({ REDIS_URL: 'http://127.0.0.1:6379' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/REDIS_URL is \\"http:\/\/127.0.0.1:6379\\"/);
    expect(service.output()).toMatch(/use a redis:\/\/ or rediss:\/\/ URL/);
  });
});
