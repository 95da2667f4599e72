import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useFakeShop } from './support/fake-shop.js';

const shop = useFakeShop();

const address = {
  name: 'Ada Lovelace',
  line1: 'Keizersgracht 123',
  city: 'Amsterdam',
  postcode: '1015 CJ',
  country: 'NL',
};
const order = { address, paymentToken: 'tok_visa' };

const checkOut = (userId: string, body: unknown, key?: string) => {
  const call = request(shop.storefront.app).post('/api/checkout').set('x-user-id', userId);
  return (key === undefined ? call : call.set('Idempotency-Key', key)).send(body as object);
};

const lastCheckout = () => shop.checkout.requests.at(-1)!;

describe('POST /api/checkout', () => {
  it('forwards the page’s Idempotency-Key and the user to checkout, and answers its 201 as it is', async () => {
    shop.cart.carts.set('ann', [{ sku: 'tea-01', qty: 2 }]);
    const answer = await checkOut('ann', order, 'web-attempt-1').expect(201);
    expect(answer.body).toMatchObject({
      userId: 'ann',
      status: 'confirmed',
      items: [{ sku: 'tea-01', name: 'Sencha', qty: 2, unitPriceCents: 450, lineCents: 900 }],
      subtotalCents: 900,
      shippingCents: 490,
      totalCents: 1_390,
      currency: 'EUR',
      carrier: 'PostNet',
    });
    expect(answer.body.orderId).toMatch(/^ord_/);
    expect(answer.body.trackingNumber).toEqual(expect.any(String));
    expect(answer.headers['idempotency-key']).toBe('web-attempt-1');
    const sent = lastCheckout();
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/checkouts');
    expect(sent.headers['idempotency-key']).toBe('web-attempt-1');
    expect(sent.body).toEqual({ userId: 'ann', address, paymentToken: 'tok_visa' });
  });

  it('sends a repeated key on again, so a double click is the same order', async () => {
    shop.cart.carts.set('bob', [{ sku: 'ware-02', qty: 1 }]);
    const first = await checkOut('bob', order, 'web-double').expect(201);
    const second = await checkOut('bob', order, 'web-double').expect(200);
    expect(second.body).toEqual(first.body);
    expect(
      shop.checkout.requests.filter((call) => call.headers['idempotency-key'] === 'web-double'),
    ).toHaveLength(2);
  });

  it('makes a key when the caller sends none, and answers it', async () => {
    shop.cart.carts.set('cy', [{ sku: 'tea-07', qty: 1 }]);
    const answer = await checkOut('cy', order).expect(201);
    const key = lastCheckout().headers['idempotency-key'];
    expect(key).toMatch(/^sf-[0-9a-f-]{36}$/);
    expect(answer.headers['idempotency-key']).toBe(key);
  });

  it('relays a declined payment (402) as it is', async () => {
    shop.cart.carts.set('dee', [{ sku: 'tea-01', qty: 1 }]);
    const answer = await checkOut('dee', { ...order, paymentToken: 'tok_decline' }, 'web-d').expect(
      402,
    );
    expect(answer.body).toEqual({
      error: {
        code: 'ERR_PAYMENT_DECLINED',
        message: 'the card was declined; the items are back in the cart',
      },
    });
  });

  it('relays an empty cart (409) as it is', async () => {
    const answer = await checkOut('nobody', order, 'web-e').expect(409);
    expect(answer.body.error.code).toBe('ERR_CART_EMPTY');
  });

  it.each([
    ['no address', { paymentToken: 'tok_visa' }, /^address: /],
    ['no payment token', { address }, /^paymentToken: /],
    ['an empty payment token', { address, paymentToken: '' }, /^paymentToken: /],
    ['a blank name', { ...order, address: { ...address, name: '  ' } }, 'address.name: required'],
    [
      'no postcode',
      { ...order, address: { ...address, postcode: undefined } },
      /^address.postcode: /,
    ],
    [
      'a country that is not a code',
      { ...order, address: { ...address, country: 'Germany' } },
      'address.country: a two-letter country code such as "DE"',
    ],
    [
      'an extra address field',
      { ...order, address: { ...address, floor: '3' } },
      /^address: Unrecognized key: "floor"/,
    ],
    [
      'a userId in the body',
      { ...order, userId: 'someone-else' },
      /^body: Unrecognized key: "userId"/,
    ],
    ['an amount in the body', { ...order, totalCents: 1 }, /^body: Unrecognized key: "totalCents"/],
  ])('answers 400 for %s, and checkout hears nothing', async (_label, body, message) => {
    const before = shop.checkout.requests.length;
    const answer = await checkOut('fay', body, 'web-bad').expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(message);
    expect(shop.checkout.requests.length).toBe(before);
  });

  it.each([
    ['spaces', 'two words'],
    ['201 characters', 'k'.repeat(201)],
  ])('answers 400 naming Idempotency-Key for a key with %s', async (_label, key) => {
    const before = shop.checkout.requests.length;
    const answer = await checkOut('gus', order, key).expect(400);
    expect(answer.body.error.message).toMatch(/^Idempotency-Key: /);
    expect(shop.checkout.requests.length).toBe(before);
  });
});
