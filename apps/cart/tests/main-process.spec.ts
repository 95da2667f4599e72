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

const cartService = useCompiledService(join(__dirname, '..'), 'cart');
const redisServer = findRedisServer();

/** Registers, serves a consistent-hash caller that finds it in the registry, drains on SIGTERM. */
async function serveAndDrain(env: Record<string, string>): Promise<string> {
  const service = cartService.start({ DRAIN_DELAY_MS: '100', ...env });
  const registry = new LocalRegistry({ dir: cartService.registryDir });
  const mesh = createMesh({
    discovery: registry,
    upstreams: { cart: { balancer: 'consistent-hash' } },
  });
  try {
    const cart = mesh.client('cart');
    await cart.json({
      method: 'PUT',
      path: '/carts/ada/items/tea-02',
      json: { qty: 2 },
      hashKey: 'ada',
    });
    expect(await cart.json({ path: '/carts/ada', hashKey: 'ada' })).toEqual({
      userId: 'ada',
      items: [{ sku: 'tea-02', qty: 2 }],
    });
    expect(await readdir(join(cartService.registryDir, 'cart'))).toHaveLength(1);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(await cartService.leaseFiles('cart')).toEqual([]);
    return service.output();
  } finally {
    service.child.kill('SIGKILL');
    await mesh.close();
    await registry.close();
  }
}

describe('the cart process', () => {
  it('keeps carts in memory, serves callers that find it, and drains on SIGTERM', async () => {
    const output = await serveAndDrain({});
    expect(output).toMatch(/carts are kept in memory/);
  });

  it.skipIf(!redisServer)(
    'keeps carts in Redis when REDIS_URL is set, and closes the connection on drain',
    async () => {
      const server = await RedisServer.start(redisServer!);
      const inspect = server.client();
      try {
        const output = await serveAndDrain({ REDIS_URL: server.url });
        expect(await inspect.hgetall('trellis:cart:{ada}:items')).toEqual({ 'tea-02': '2' });
        expect(output).toMatch(/carts are kept in Redis/);
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
    const service = cartService.start({ REDIS_URL: 'http://127.0.0.1:6379' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/REDIS_URL is \\"http:\/\/127.0.0.1:6379\\"/);
    expect(service.output()).toMatch(/use a redis:\/\/ or rediss:\/\/ URL/);
  });
});
