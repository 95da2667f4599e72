import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalRegistry, type Lease } from '@trellis/mesh';
import { useCompiledService } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { startFakeStorefront } from './support/fake-storefront.js';

const loadgenService = useCompiledService(join(__dirname, '..'), 'loadgen');

async function leases(service: string): Promise<Lease[]> {
  const files = await loadgenService.leaseFiles(service).catch(() => [] as string[]);
  return Promise.all(
    files.map(async (name) =>
      JSON.parse(await readFile(join(loadgenService.registryDir, service, name), 'utf8')),
    ),
  );
}

async function waitFor<T>(read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(100);
  }
}

describe('the loadgen process', () => {
  it('finds the storefront through the registry, sends load, takes new settings and drains on SIGTERM', async () => {
    const storefront = await startFakeStorefront();
    const registry = new LocalRegistry({ dir: loadgenService.registryDir });
    await registry.register({ service: 'storefront', address: '127.0.0.1', port: storefront.port });
    const loadgen = loadgenService.start({
      REPLICA: 'loadgen-1',
      LOAD_RPS: '20',
      DRAIN_DELAY_MS: '100',
    });
    try {
      const lease = await waitFor(async () => (await leases('loadgen'))[0]);
      expect(lease.metadata).toEqual({ replica: 'loadgen-1' });
      const url = `http://${lease.address}:${lease.port}/admin/load`;
      const report = await waitFor(async () => {
        const answer = (await (await fetch(url)).json()) as { ok: number; rps: number };
        return answer.ok >= 5 ? answer : undefined;
      });
      expect(report.rps).toBe(20);
      expect(storefront.received.length).toBeGreaterThanOrEqual(5);

      const paused = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rps: 0, mix: 'browse=1' }),
      });
      expect(paused.status).toBe(200);
      expect(await paused.json()).toMatchObject({ rps: 0, mix: 'browse=1,cart=0,checkout=0' });
      const bad = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rps: 'lots' }),
      });
      expect(bad.status).toBe(400);

      loadgen.child.kill('SIGTERM');
      expect(await loadgen.exited).toBe(0);
      expect(await leases('loadgen')).toEqual([]);
    } finally {
      loadgen.child.kill('SIGKILL');
      await registry.close();
      await storefront.close();
    }
  });

  it.each([
    ['LOAD_RPS', 'fast'],
    ['LOAD_RPS', '5000'],
    ['LOAD_MIX', 'browse=70,buy=30'],
  ])('exits with code 2 and names %s when it is %j', async (variable, value) => {
    const loadgen = loadgenService.start({ [variable]: value });
    expect(await loadgen.exited).toBe(2);
    expect(loadgen.output()).toContain(`${variable} is \\"${value}\\"`);
  });
});
