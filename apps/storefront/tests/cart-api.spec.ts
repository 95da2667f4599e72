import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useFakeShop } from './support/fake-shop.js';

// Two cart replicas, each with its own memory, as in a local run without Redis.
const shop = useFakeShop({ cartReplicas: 2 });

const as = (userId: string) => ({
  get: () => request(shop.storefront.app).get('/api/cart').set('x-user-id', userId),
  put: (sku: string, body: unknown) =>
    request(shop.storefront.app)
      .put(`/api/cart/items/${sku}`)
      .set('x-user-id', userId)
      .send(body as object),
  delete: (sku: string) =>
    request(shop.storefront.app).delete(`/api/cart/items/${sku}`).set('x-user-id', userId),
});

/** Which cart replicas served this user. */
const replicasOf = (userId: string) =>
  shop.carts.flatMap((cart, index) =>
    cart.requests.some(
      (call) => call.url === `/carts/${userId}` || call.url.startsWith(`/carts/${userId}/`),
    )
      ? [index]
      : [],
  );

describe('the cart', () => {
  it('answers an empty cart for a new user', async () => {
    expect((await as('ann').get().expect(200)).body).toEqual({
      userId: 'ann',
      items: [],
      subtotalCents: 0,
    });
  });

  it('sets quantities and answers the cart joined with the catalog’s names and prices', async () => {
    await as('bob').put('tea-01', { qty: 2 }).expect(200);
    const answer = await as('bob').put('coffee-03', { qty: 1 }).expect(200);
    const expected = {
      userId: 'bob',
      items: [
        {
          sku: 'coffee-03',
          name: 'Ethiopia Yirgacheffe',
          qty: 1,
          unitPriceCents: 1_290,
          lineCents: 1_290,
          available: true,
        },
        {
          sku: 'tea-01',
          name: 'Sencha',
          qty: 2,
          unitPriceCents: 450,
          lineCents: 900,
          available: true,
        },
      ],
      subtotalCents: 2_190,
    };
    expect(answer.body).toEqual(expected);
    expect((await as('bob').get().expect(200)).body).toEqual(expected);
    // A repeat sets the same quantity again: the call is idempotent.
    expect((await as('bob').put('tea-01', { qty: 2 }).expect(200)).body).toEqual(expected);
  });

  it('removes a line', async () => {
    await as('cy').put('tea-01', { qty: 3 }).expect(200);
    await as('cy').put('ware-02', { qty: 1 }).expect(200);
    const answer = await as('cy').delete('tea-01').expect(200);
    expect(answer.body.items.map((line: { sku: string }) => line.sku)).toEqual(['ware-02']);
    expect(answer.body.subtotalCents).toBe(900);
  });

  it('shows a product the catalog no longer has as unavailable instead of failing the cart', async () => {
    const replica = shop.carts[replicasOf('ann')[0]!]!;
    replica.carts.set('ann', [
      { sku: 'tea-01', qty: 1 },
      { sku: 'tea-99', qty: 4 },
    ]);
    const answer = await as('ann').get().expect(200);
    expect(answer.body.items).toEqual([
      {
        sku: 'tea-01',
        name: 'Sencha',
        qty: 1,
        unitPriceCents: 450,
        lineCents: 450,
        available: true,
      },
      { sku: 'tea-99', name: 'tea-99', qty: 4, unitPriceCents: 0, lineCents: 0, available: false },
    ]);
    expect(answer.body.subtotalCents).toBe(450);
  });

  it('sends every call of a user to the same cart replica (consistent hash of the user id)', async () => {
    const users = Array.from({ length: 16 }, (_, index) => `hash-user-${index}`);
    for (const user of users) {
      await as(user).put('tea-01', { qty: 1 }).expect(200);
      await as(user).put('ware-02', { qty: 2 }).expect(200);
      await as(user).delete('tea-01').expect(200);
      // The cart is found again: the read reached the replica that holds it.
      expect((await as(user).get().expect(200)).body.items).toEqual([
        expect.objectContaining({ sku: 'ware-02', qty: 2 }),
      ]);
    }
    for (const user of users) expect(replicasOf(user)).toHaveLength(1);
    const used = new Set(users.flatMap((user) => replicasOf(user)));
    expect(used).toEqual(new Set([0, 1]));
  });

  it('answers 404 from the catalog for an unknown SKU and leaves the cart alone', async () => {
    const before = shop.carts.map((cart) => cart.requests.length);
    const answer = await as('dee').put('tea-99', { qty: 1 }).expect(404);
    expect(answer.body.error.code).toBe('ERR_NO_SUCH_PRODUCT');
    expect(shop.carts.map((cart) => cart.requests.length)).toEqual(before);
  });

  it('relays the cart service’s own refusal as it is', async () => {
    for (const cart of shop.carts) cart.refusedSkus.add('tea-07');
    const answer = await as('eve').put('tea-07', { qty: 1 }).expect(409);
    expect(answer.body).toEqual({
      error: { code: 'ERR_CART_FULL', message: 'a cart holds at most 50 lines' },
    });
  });

  it.each([
    ['a quantity of 0', { qty: 0 }, 'qty: at least 1'],
    ['a quantity of 101', { qty: 101 }, 'qty: at most 100'],
    ['a fractional quantity', { qty: 1.5 }, /^qty: /],
    ['a quantity as text', { qty: '2' }, /^qty: /],
    ['no quantity', {}, /^qty: /],
    ['an extra field', { qty: 1, priceCents: 1 }, /^body: Unrecognized key: "priceCents"/],
  ])('answers 400 for %s, without calling anyone', async (_label, body, message) => {
    const before =
      shop.catalog.requests.length +
      shop.carts[0]!.requests.length +
      shop.carts[1]!.requests.length;
    const answer = await as('fay').put('tea-01', body).expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(message);
    expect(
      shop.catalog.requests.length +
        shop.carts[0]!.requests.length +
        shop.carts[1]!.requests.length,
    ).toBe(before);
  });

  it('answers 400 naming the SKU for a malformed one, on PUT and DELETE', async () => {
    const put = await as('gus').put('Tea_01', { qty: 1 }).expect(400);
    expect(put.body.error.message).toMatch(/^sku: /);
    const removed = await as('gus').delete('Tea_01').expect(400);
    expect(removed.body.error.message).toMatch(/^sku: /);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const answer = await request(shop.storefront.app)
      .put('/api/cart/items/tea-01')
      .set('x-user-id', 'hal')
      .set('content-type', 'application/json')
      .send('{"qty": ')
      .expect(400);
    expect(answer.body.error.code).toBe('ERR_MALFORMED_BODY');
  });
});
