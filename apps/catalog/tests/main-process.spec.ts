import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { useCompiledService } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';

const catalog = useCompiledService(join(__dirname, '..'), 'catalog');

describe('the catalog process', () => {
  it('registers itself, serves callers that find it through the local registry, and drains on SIGTERM', async () => {
    const service = catalog.start({ DRAIN_DELAY_MS: '100' });
    const registry = new LocalRegistry({ dir: catalog.registryDir });
    const mesh = createMesh({ discovery: registry });
    try {
      const product = await mesh
        .client('catalog')
        .json<{ sku: string }>({ path: '/products/tea-02' });
      expect(product.sku).toBe('tea-02');
      expect(await readdir(join(catalog.registryDir, 'catalog'))).toHaveLength(1);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expect(await catalog.leaseFiles('catalog')).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await mesh.close();
      await registry.close();
    }
  });

  it('exits with code 2 and names the variable when the environment is wrong', async () => {
    const service = catalog.start({ ERROR_RATE: 'often' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/ERROR_RATE is \\"often\\"/);
  });
});
