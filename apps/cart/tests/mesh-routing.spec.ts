import { createMesh, type Mesh, type MeshRequest } from '@trellis/mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCartStore } from '../src/memory-cart-store.js';
import { startReplica, type CartReplica } from './support/cart-replica.js';

// Two in-memory replicas share nothing. Carts still work because every caller hashes the user id
// to pick a replica, and every caller's table agrees: a user's requests all land on one replica.
describe('cart replicas behind consistent-hash callers', () => {
  const stores = [new MemoryCartStore(), new MemoryCartStore()];
  let replicas: CartReplica[];
  const callers: Mesh[] = [];

  beforeAll(async () => {
    replicas = [await startReplica(stores[0]!, 'cart-1'), await startReplica(stores[1]!, 'cart-2')];
  });

  afterAll(async () => {
    await Promise.all(callers.map((caller) => caller.close()));
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  function caller(balancer: 'consistent-hash' | 'round-robin', reversed = false): Mesh {
    const endpoints = replicas.map((replica) => ({ address: '127.0.0.1', port: replica.port }));
    const mesh = createMesh({
      discovery: [],
      upstreams: { cart: { balancer, endpoints: reversed ? endpoints.reverse() : endpoints } },
    });
    callers.push(mesh);
    return mesh;
  }

  async function send(mesh: Mesh, call: MeshRequest) {
    const response = await mesh.client('cart').request(call);
    return {
      status: response.statusCode,
      endpoint: response.endpoint,
      body: (await response.body.json()) as { items: Array<{ sku: string; qty: number }> },
    };
  }

  it("keeps each of 50 users' items on exactly one replica, whichever caller sends them", async () => {
    // Two callers created apart, as the storefront and checkout are; one lists the replicas in
    // the other order (the table depends on the endpoints, not on how they are listed).
    const storefront = caller('consistent-hash');
    const checkout = caller('consistent-hash', true);
    const users = Array.from({ length: 50 }, (_, index) => `user-${index}`);

    for (const userId of users) {
      const path = `/carts/${userId}`;
      const answers = [
        await send(storefront, {
          method: 'PUT',
          path: `${path}/items/tea-01`,
          json: { qty: 1 },
          hashKey: userId,
        }),
        await send(checkout, {
          method: 'PUT',
          path: `${path}/items/mug-02`,
          json: { qty: 2 },
          hashKey: userId,
        }),
        await send(storefront, { path, hashKey: userId }),
        await send(checkout, { path, hashKey: userId }),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      // Both callers picked the same replica for this user every time...
      expect(new Set(answers.map((answer) => answer.endpoint)).size).toBe(1);
      // ...so both callers read both lines back.
      for (const read of answers.slice(2)) {
        expect(read.body.items).toEqual([
          { sku: 'mug-02', qty: 2 },
          { sku: 'tea-01', qty: 1 },
        ]);
      }
    }

    // Look inside the replicas: each user's cart is on exactly one, and both replicas have users.
    const holders = await Promise.all(
      users.map(async (userId) => {
        const carts = await Promise.all(stores.map((store) => store.get(userId)));
        return carts.flatMap((items, replica) => (items.length > 0 ? [replica] : []));
      }),
    );
    for (const holder of holders) expect(holder).toHaveLength(1);
    const perReplica = [0, 1].map((replica) => holders.filter(([held]) => held === replica).length);
    expect(perReplica[0]! + perReplica[1]!).toBe(50);
    expect(Math.min(...perReplica)).toBeGreaterThan(0);
  });

  it('loses track of a cart when a caller balances without the user id', async () => {
    // Round-robin alternates between the two replicas: the read goes to the one without the item.
    const unhashed = caller('round-robin');
    const written = await send(unhashed, {
      method: 'PUT',
      path: '/carts/wanderer/items/tea-01',
      json: { qty: 1 },
    });
    const read = await send(unhashed, { path: '/carts/wanderer' });
    expect(read.endpoint).not.toBe(written.endpoint);
    expect(written.body.items).toEqual([{ sku: 'tea-01', qty: 1 }]);
    expect(read.body.items).toEqual([]);
  });
});
