import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useFakeShop } from './support/fake-shop.js';

const shop = useFakeShop();

const USER_COOKIE = /^trellis_user=(u_[0-9a-f]{12}); /;

function userCookieOf(setCookie: string[] | string | undefined): string | undefined {
  const headers = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return headers.find((header) => header.startsWith('trellis_user='));
}

const cartCallsFor = (userId: string) =>
  shop.cart.requests.filter((call) => call.url === `/carts/${userId}`);

describe('who the user is', () => {
  it('sets an HttpOnly, SameSite=Lax trellis_user cookie on the first visit and uses it as the user', async () => {
    const first = await request(shop.storefront.app).get('/api/cart').expect(200);
    const cookie = userCookieOf(first.headers['set-cookie']);
    expect(cookie).toMatch(USER_COOKIE);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    const userId = USER_COOKIE.exec(cookie!)![1]!;
    expect(first.body).toEqual({ userId, items: [], subtotalCents: 0 });
    expect(cartCallsFor(userId)).toHaveLength(1);
  });

  it('reuses the cookie it set: the same user, and no new cookie', async () => {
    const first = await request(shop.storefront.app).get('/api/cart').expect(200);
    const userId = first.body.userId as string;
    const again = await request(shop.storefront.app)
      .get('/api/cart')
      .set('cookie', `theme=dark; trellis_user=${userId}; other=1`)
      .expect(200);
    expect(again.body.userId).toBe(userId);
    expect(userCookieOf(again.headers['set-cookie'])).toBeUndefined();
    expect(cartCallsFor(userId)).toHaveLength(2);
  });

  it('sets the cookie on the pages too, so the browser has it before its first API call', async () => {
    const page = await request(shop.storefront.app).get('/').expect(200);
    expect(userCookieOf(page.headers['set-cookie'])).toMatch(USER_COOKIE);
  });

  it('honours x-user-id (load generators and tests) and sets no cookie for it', async () => {
    const answer = await request(shop.storefront.app)
      .get('/api/cart')
      .set('x-user-id', 'load-7')
      .expect(200);
    expect(answer.body.userId).toBe('load-7');
    expect(userCookieOf(answer.headers['set-cookie'])).toBeUndefined();
    expect(cartCallsFor('load-7')).toHaveLength(1);
  });

  it('prefers x-user-id over the cookie', async () => {
    const answer = await request(shop.storefront.app)
      .get('/api/cart')
      .set('x-user-id', 'load-8')
      .set('cookie', 'trellis_user=u_0123456789ab')
      .expect(200);
    expect(answer.body.userId).toBe('load-8');
  });

  it.each([
    ['spaces and punctuation', 'bad id!'],
    ['a slash', '../admin'],
    ['65 characters', 'a'.repeat(65)],
    ['an empty value', ''],
  ])('answers 400 naming x-user-id for a user id with %s, and calls nobody', async (_label, id) => {
    const before = shop.cart.requests.length;
    const answer = await request(shop.storefront.app)
      .get('/api/cart')
      .set('x-user-id', id)
      .expect(400);
    expect(answer.body.error).toEqual({
      code: 'ERR_BAD_REQUEST',
      message: 'x-user-id: a user id is 1 to 64 letters, digits, "_" or "-"',
    });
    expect(shop.cart.requests.length).toBe(before);
  });

  it('replaces a malformed cookie with a fresh user instead of refusing the browser', async () => {
    const answer = await request(shop.storefront.app)
      .get('/api/cart')
      .set('cookie', 'trellis_user=%3Cscript%3E')
      .expect(200);
    const cookie = userCookieOf(answer.headers['set-cookie']);
    expect(cookie).toMatch(USER_COOKIE);
    expect(answer.body.userId).toBe(USER_COOKIE.exec(cookie!)![1]);
  });
});
