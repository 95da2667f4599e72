import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices, startService } from './support/service-process.js';

const main = join(__dirname, '..', 'dist', 'main.js');
let registryDir: string;

beforeAll(async () => {
  // The service runs as it ships: compiled to CommonJS, with its libraries' builds.
  await buildServices(['checkout']);
  registryDir = await mkdtemp(join(tmpdir(), 'checkout-registry-'));
}, 120_000);

afterAll(() => rm(registryDir, { recursive: true, force: true }));

const leases = async () =>
  (await readdir(join(registryDir, 'checkout'))).filter((name) => name.endsWith('.json'));

describe('the checkout process', () => {
  it('registers itself, serves callers that find it through the local registry, and drains on SIGTERM', async () => {
    const service = await startService('checkout', {
      TRELLIS_REGISTRY_DIR: registryDir,
      DRAIN_DELAY_MS: '100',
    });
    const registry = new LocalRegistry({ dir: registryDir });
    const mesh = createMesh({ discovery: registry });
    try {
      expect(await leases()).toHaveLength(1);
      const missing = await mesh
        .client('checkout')
        .request({ path: '/orders/ord_0123456789abcdef' });
      expect(missing.statusCode).toBe(404);
      expect(await missing.body.json()).toMatchObject({ error: { code: 'ERR_NO_SUCH_ORDER' } });
      expect(await service.stop()).toBe(0);
      expect(await leases()).toEqual([]);
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
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, TRELLIS_REGISTRY_DIR: registryDir, [variable]: value },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toContain(`${variable} is \\"${value}\\"`);
  });
});
