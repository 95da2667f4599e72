import { createMesh, type Mesh } from '@trellis/mesh';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CartStore } from '../src/cart-store.js';
import { cartApp, startReplica, type CartReplica } from './support/cart-replica.js';
import { memoryKind, redisKind } from './support/store-kinds.js';

const KEY = 'checkout-0001';

// Every route and every bad input, against both stores.
describe.each([memoryKind, redisKind()])('the cart API on the $name store', (kind) => {
  let store: CartStore;
  let mesh: Mesh;
  let app: Express;

  // Without redis-server the Redis kind's tests are skipped, and so is setting it up.
  beforeAll(async () => {
    if (kind.available) await kind.setUp();
  });
  afterAll(() => kind.tearDown());

  beforeEach(async () => {
    if (!kind.available) return;
    store = await kind.open();
    mesh = createMesh({ discovery: [] });
    app = cartApp(store, mesh);
  });

  afterEach(async () => {
    await store?.close();
    await mesh?.close();
  });

  const put = (userId: string, sku: string, qty: number) =>
    request(app).put(`/carts/${userId}/items/${sku}`).send({ qty });
  const claim = (userId: string, key: string) =>
    request(app).post(`/carts/${userId}/checkouts`).set('idempotency-key', key);

  describe.skipIf(!kind.available)('routes', () => {
    it('answers an empty cart for an unknown user', async () => {
      const cart = await request(app).get('/carts/nobody').expect(200);
      expect(cart.body).toEqual({ userId: 'nobody', items: [] });
    });

    it('sets quantities (a repeat is harmless), lists lines by SKU, and removes lines', async () => {
      await put('ada', 'tea-02', 3).expect(200);
      const repeated = await put('ada', 'tea-02', 3).expect(200);
      expect(repeated.body).toEqual({ userId: 'ada', items: [{ sku: 'tea-02', qty: 3 }] });
      await put('ada', 'coffee-01', 1).expect(200);
      const changed = await put('ada', 'tea-02', 100).expect(200);
      expect(changed.body.items).toEqual([
        { sku: 'coffee-01', qty: 1 },
        { sku: 'tea-02', qty: 100 },
      ]);
      expect((await request(app).get('/carts/ada').expect(200)).body).toEqual(changed.body);

      const removed = await request(app).delete('/carts/ada/items/tea-02').expect(200);
      expect(removed.body).toEqual({ userId: 'ada', items: [{ sku: 'coffee-01', qty: 1 }] });
      // Removing a line that is not there is a no-op, so a retried DELETE is harmless.
      await request(app).delete('/carts/ada/items/tea-02').expect(200);
      await request(app).delete('/carts/ada/items/coffee-01').expect(200);
      expect((await request(app).get('/carts/ada')).body.items).toEqual([]);
      // Other users' carts are their own.
      expect((await request(app).get('/carts/bob')).body.items).toEqual([]);
    });

    it('holds at most 50 lines: a 51st answers 409 ERR_CART_FULL, changing a line still works', async () => {
      for (let line = 0; line < 50; line++) await put('full', skuNumber(line), 1).expect(200);
      const refused = await put('full', 'zzz-99', 1).expect(409);
      expect(refused.body.error).toMatchObject({ code: 'ERR_CART_FULL', maxLines: 50 });
      expect(refused.body.error.message).toMatch(/at most 50 different products/);
      await put('full', skuNumber(0), 7).expect(200);
      await request(app)
        .delete(`/carts/full/items/${skuNumber(1)}`)
        .expect(200);
      const added = await put('full', 'zzz-99', 1).expect(200);
      expect(added.body.items).toHaveLength(50);
    });

    it('claims the items for a checkout once, and answers the same items to the same key', async () => {
      await put('ada', 'tea-01', 2).expect(200);
      await put('ada', 'mug-03', 1).expect(200);
      const claimed = await claim('ada', KEY).expect(201);
      const items = [
        { sku: 'mug-03', qty: 1 },
        { sku: 'tea-01', qty: 2 },
      ];
      expect(claimed.body).toEqual({ userId: 'ada', checkoutKey: KEY, items });
      expect(claimed.headers['idempotent-replayed']).toBeUndefined();
      expect((await request(app).get('/carts/ada')).body.items).toEqual([]);

      // The cart is empty now, yet the same key gets the same items.
      const replayed = await claim('ada', KEY).expect(200);
      expect(replayed.body).toEqual({ userId: 'ada', checkoutKey: KEY, items });
      expect(replayed.headers['idempotent-replayed']).toBe('true');

      // A new key on an empty cart has nothing to claim.
      const empty = await claim('ada', 'checkout-0002').expect(409);
      expect(empty.body.error.code).toBe('ERR_CART_EMPTY');

      // A key belongs to one user's cart: another user's checkout with it claims their own cart.
      await put('bob', 'tea-05', 4).expect(200);
      const bobs = await claim('bob', KEY).expect(201);
      expect(bobs.body.items).toEqual([{ sku: 'tea-05', qty: 4 }]);
    });

    it('accepts an empty JSON object as the body of a claim', async () => {
      await put('ada', 'tea-01', 1).expect(200);
      await claim('ada', KEY).send({}).expect(201);
    });

    it('puts claimed items back once, adding to what is in the cart and capping at 100', async () => {
      await put('ada', 'tea-01', 60).expect(200);
      await put('ada', 'mug-03', 1).expect(200);
      await claim('ada', KEY).expect(201);
      await put('ada', 'tea-01', 70).expect(200);
      await put('ada', 'cake-04', 2).expect(200);

      const released = await request(app).delete(`/carts/ada/checkouts/${KEY}`).expect(200);
      const cart = {
        userId: 'ada',
        items: [
          { sku: 'cake-04', qty: 2 },
          { sku: 'mug-03', qty: 1 },
          { sku: 'tea-01', qty: 100 },
        ],
      };
      expect(released.body).toEqual(cart);
      expect(released.headers['idempotent-replayed']).toBeUndefined();

      // A second put-back is harmless: the cart as it is, nothing added twice.
      const again = await request(app).delete(`/carts/ada/checkouts/${KEY}`).expect(200);
      expect(again.body).toEqual(cart);
      expect(again.headers['idempotent-replayed']).toBe('true');

      // The same checkout key again is still a no-op: it answers what it claimed, claims nothing.
      const replayed = await claim('ada', KEY).expect(200);
      expect(replayed.body.items).toEqual([
        { sku: 'mug-03', qty: 1 },
        { sku: 'tea-01', qty: 60 },
      ]);
      expect((await request(app).get('/carts/ada')).body).toEqual(cart);
    });

    it('puts every claimed line back even when that takes the cart past 50 lines', async () => {
      for (let line = 0; line < 50; line++) await put('big', skuNumber(line), 1).expect(200);
      await claim('big', KEY).expect(201);
      for (let line = 50; line < 60; line++) await put('big', skuNumber(line), 1).expect(200);
      const released = await request(app).delete(`/carts/big/checkouts/${KEY}`).expect(200);
      expect(released.body.items).toHaveLength(60);
      // New lines wait until the cart is back under the limit; changing a line still works.
      await put('big', 'zzz-99', 1).expect(409);
      await put('big', skuNumber(0), 5).expect(200);
    });

    it('answers 404 ERR_NO_SUCH_CHECKOUT for a key that claimed nothing', async () => {
      await put('ada', 'tea-01', 1).expect(200);
      const missing = await request(app).delete('/carts/ada/checkouts/never-claimed').expect(404);
      expect(missing.body.error.code).toBe('ERR_NO_SUCH_CHECKOUT');
      // Another user's claim is not this user's.
      await claim('ada', KEY).expect(201);
      await request(app).delete(`/carts/bob/checkouts/${KEY}`).expect(404);
    });

    it('serves health, readiness and metrics', async () => {
      await request(app).get('/healthz').expect(200);
      await request(app).get('/readyz').expect(200);
      expect((await request(app).get('/metrics').expect(200)).text).toMatch(/# TYPE/);
    });
  });

  describe.skipIf(!kind.available)('bad input', () => {
    it.each([
      ['a user id with a dot', () => request(app).get('/carts/ada.lovelace'), /^userId: /],
      ['a user id of 65 characters', () => request(app).get(`/carts/${'u'.repeat(65)}`), /userId/],
      ['a user id with a space', () => put('ada%20l', 'tea-01', 1), /^userId: a user id is/],
      ['an upper-case SKU', () => put('ada', 'TEA-01', 1), /^sku: a SKU looks like "tea-01"/],
      ['a SKU with one digit', () => put('ada', 'tea-1', 1), /^sku: /],
      ['a malformed SKU to remove', () => request(app).delete('/carts/ada/items/tea_01'), /^sku: /],
      ['a qty of 0', () => put('ada', 'tea-01', 0), /^qty: /],
      ['a qty of 101', () => put('ada', 'tea-01', 101), /^qty: .*100/],
      ['a fractional qty', () => put('ada', 'tea-01', 1.5), /^qty: /],
      [
        'a qty as a string',
        () => request(app).put('/carts/ada/items/tea-01').send({ qty: '2' }),
        /^qty: .*number/,
      ],
      ['no body', () => request(app).put('/carts/ada/items/tea-01'), /^body: /],
      ['a body without qty', () => request(app).put('/carts/ada/items/tea-01').send({}), /^qty: /],
      [
        'an extra field',
        () => request(app).put('/carts/ada/items/tea-01').send({ qty: 1, price: 0 }),
        /unrecognized key.*price/i,
      ],
      [
        'an array body',
        () =>
          request(app)
            .put('/carts/ada/items/tea-01')
            .send([{ qty: 1 }]),
        /^body: /,
      ],
      [
        'a checkout without Idempotency-Key',
        () => request(app).post('/carts/ada/checkouts'),
        /^Idempotency-Key: is required/,
      ],
      [
        'an Idempotency-Key of 7 characters',
        () => claim('ada', 'abcdefg'),
        /^Idempotency-Key: use 8 to 100/,
      ],
      [
        'an Idempotency-Key of 101 characters',
        () => claim('ada', 'k'.repeat(101)),
        /^Idempotency-Key: /,
      ],
      [
        'an Idempotency-Key with a dot and a space',
        () => claim('ada', 'order 1.23456'),
        /^Idempotency-Key: /,
      ],
      [
        'a checkout with a body',
        () => claim('ada', KEY).send({ items: [] }),
        /unrecognized key.*items/i,
      ],
      [
        'a malformed checkout key to put back',
        () => request(app).delete('/carts/ada/checkouts/short'),
        /^checkoutKey: use 8 to 100/,
      ],
      [
        'a malformed user id to put back',
        () => request(app).delete(`/carts/a$b/checkouts/${KEY}`),
        /^userId: /,
      ],
    ])('answers 400 ERR_BAD_REQUEST naming the problem for %s', async (_label, send, message) => {
      const response = await send().expect(400);
      expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
      expect(response.body.error.message).toMatch(message);
    });

    it('answers 400 for malformed JSON and 413 for a body over 16 kB', async () => {
      const malformed = await request(app)
        .put('/carts/ada/items/tea-01')
        .set('content-type', 'application/json')
        .send('{"qty": ')
        .expect(400);
      expect(malformed.body.error.code).toBe('ERR_MALFORMED_BODY');
      const tooLarge = await request(app)
        .put('/carts/ada/items/tea-01')
        .send({ qty: 1, padding: 'x'.repeat(20_000) })
        .expect(413);
      expect(tooLarge.body.error.code).toBe('ERR_BODY_TOO_LARGE');
    });

    it('changes nothing when it refuses a request', async () => {
      await put('ada', 'tea-01', 2).expect(200);
      await put('ada', 'tea-01', 0).expect(400);
      await request(app).post('/carts/ada/checkouts').expect(400);
      expect((await request(app).get('/carts/ada')).body.items).toEqual([
        { sku: 'tea-01', qty: 2 },
      ]);
    });
  });

  // Two replicas' worth of servers: for Redis each has its own connection to the shared server.
  describe.skipIf(!kind.available)('concurrent claims', () => {
    let replicas: CartReplica[];
    let peer: CartStore;

    beforeEach(async () => {
      if (!kind.available) return;
      peer = await kind.openPeer(store);
      replicas = [await startReplica(store, 'cart-a'), await startReplica(peer, 'cart-b')];
    });

    afterEach(async () => {
      await Promise.all((replicas ?? []).map((replica) => replica.close()));
      await peer?.close();
    });

    const claimOn = (replica: CartReplica, userId: string, key: string) =>
      request(replica.server).post(`/carts/${userId}/checkouts`).set('idempotency-key', key);

    it('takes the items once when 20 claims with the same key race', async () => {
      await put('ada', 'tea-01', 2).expect(200);
      await put('ada', 'mug-03', 1).expect(200);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => claimOn(replicas[index % 2]!, 'ada', KEY)),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([...Array(19).fill(200), 201]);
      for (const answer of answers) {
        expect(answer.body.items).toEqual([
          { sku: 'mug-03', qty: 1 },
          { sku: 'tea-01', qty: 2 },
        ]);
      }
      expect((await request(app).get('/carts/ada')).body.items).toEqual([]);
    });

    it('lets one of two different keys take the items; the other gets 409 ERR_CART_EMPTY', async () => {
      // Several rounds, so an implementation that is not atomic has many chances to be caught.
      for (let round = 0; round < 10; round++) {
        const userId = `racer-${round}`;
        await put(userId, 'tea-01', 1 + round).expect(200);
        const [first, second] = await Promise.all([
          claimOn(replicas[0]!, userId, `first-key-${round}`),
          claimOn(replicas[1]!, userId, `second-key-${round}`),
        ]);
        expect([first!.status, second!.status].sort()).toEqual([201, 409]);
        const [winner, loser] = first!.status === 201 ? [first!, second!] : [second!, first!];
        expect(winner.body.items).toEqual([{ sku: 'tea-01', qty: 1 + round }]);
        expect(loser.body.error.code).toBe('ERR_CART_EMPTY');
      }
    });

    it('puts the items back once when two put-backs of one checkout race', async () => {
      await put('ada', 'tea-01', 2).expect(200);
      await claimOn(replicas[0]!, 'ada', KEY).expect(201);
      await put('ada', 'tea-01', 1).expect(200);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          request(replicas[index % 2]!.server).delete(`/carts/ada/checkouts/${KEY}`),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect(answers.filter((answer) => answer.headers['idempotent-replayed'])).toHaveLength(9);
      expect((await request(app).get('/carts/ada')).body.items).toEqual([
        { sku: 'tea-01', qty: 3 },
      ]);
    });
  });
});

/** Distinct valid SKUs: `item-00`, `item-01`, ... */
function skuNumber(index: number): string {
  return `item-${String(index).padStart(2, '0')}`;
}
