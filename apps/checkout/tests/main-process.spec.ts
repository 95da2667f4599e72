import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { useCompiledService } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { startService } from './support/service-process.js';

const checkout = useCompiledService(join(__dirname, '..'), 'checkout');

describe('the checkout process', () => {
  it('registers itself, serves callers that find it through the local registry, and drains on SIGTERM', async () => {
    const service = await startService('checkout', {
      TRELLIS_REGISTRY_DIR: checkout.registryDir,
      DRAIN_DELAY_MS: '100',
    });
    const registry = new LocalRegistry({ dir: checkout.registryDir });
    const mesh = createMesh({ discovery: registry });
    try {
      expect(await checkout.leaseFiles('checkout')).toHaveLength(1);
      const missing = await mesh
        .client('checkout')
        .request({ path: '/orders/ord_0123456789abcdef' });
      expect(missing.statusCode).toBe(404);
      expect(await missing.body.json()).toMatchObject({ error: { code: 'ERR_NO_SUCH_ORDER' } });
      expect(await service.stop()).toBe(0);
      expect(await checkout.leaseFiles('checkout')).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await mesh.close();
      await registry.close();
    }
  });

  it.each([
    ['ERROR_RATE', 'often'],
    ['PORT', 'eighty'],
    ['REPLICA', 'Checkout 1'],
  ])('exits with code 2 and names %s when it is %j', async (variable, value) => {
    const service = checkout.start({ [variable]: value });
    expect(await service.exited).toBe(2);
    expect(service.output()).toContain(`${variable} is \\"${value}\\"`);
  });
});
