import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useCompiledService } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';

const shipping = useCompiledService(join(__dirname, '..'), 'shipping');

async function post(
  url: string,
  body: object,
): Promise<{ status: number; body: { quoteId: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { quoteId: string } };
}

describe('shipping processes', () => {
  it('two replicas with one secret accept each other’s quotes, agree on tracking numbers and drain on SIGTERM', async () => {
    const env = { DRAIN_DELAY_MS: '100', QUOTE_SECRET: 'a-shared-secret-of-the-test' };
    const replicas = [shipping.start(env), shipping.start(env)];
    try {
      const [first, second] = await Promise.all(replicas.map((replica) => replica.url));
      expect(await readdir(join(shipping.registryDir, 'shipping'))).toHaveLength(2);
      const quote = await post(`${first}/quotes`, {
        country: 'NL',
        items: [{ sku: 'tea-01', qty: 1 }],
      });
      expect(quote.status).toBe(201);
      const onSecond = await post(`${second}/shipments`, {
        orderId: 'ord-p',
        quoteId: quote.body.quoteId,
      });
      expect(onSecond.status).toBe(201);
      const onFirst = await post(`${first}/shipments`, {
        orderId: 'ord-p',
        quoteId: quote.body.quoteId,
      });
      expect(onFirst).toEqual({ status: 201, body: onSecond.body });
      for (const replica of replicas) replica.child.kill('SIGTERM');
      expect(await Promise.all(replicas.map((replica) => replica.exited))).toEqual([0, 0]);
      expect(await shipping.leaseFiles('shipping')).toEqual([]);
    } finally {
      for (const replica of replicas) replica.child.kill('SIGKILL');
    }
  });

  it('exits with code 2 and names QUOTE_SECRET when it is too short', async () => {
    const service = shipping.start({ QUOTE_SECRET: 'short' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/QUOTE_SECRET is \\"short\\": use at least 16 characters/);
  });
});
