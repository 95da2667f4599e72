import { describe, expect, it } from 'vitest';
import { CheckoutError } from '../src/checkout-error.js';
import { orderIdFor } from '../src/checkout-request.js';
import type { Order } from '../src/order.js';
import { OrderBook } from '../src/order-book.js';

const orderFor = (orderId: string): Order => ({
  orderId,
  userId: 'ada',
  status: 'confirmed',
  items: [],
  subtotalCents: 0,
  shippingCents: 0,
  totalCents: 0,
  currency: 'EUR',
  chargeId: 'ch_000001',
  trackingNumber: 'TRK0000000001',
  carrier: 'PostNet',
  days: 2,
});

describe('orderIdFor', () => {
  it('derives the same id from the same user and key, and different ids otherwise', () => {
    expect(orderIdFor('ada', 'key-00001')).toMatch(/^ord_[0-9a-f]{16}$/);
    expect(orderIdFor('ada', 'key-00001')).toBe(orderIdFor('ada', 'key-00001'));
    expect(orderIdFor('ada', 'key-00002')).not.toBe(orderIdFor('ada', 'key-00001'));
    expect(orderIdFor('bob', 'key-00001')).not.toBe(orderIdFor('ada', 'key-00001'));
  });
});

describe('OrderBook', () => {
  it('keeps only the newest orders up to its capacity', async () => {
    const book = new OrderBook(2);
    for (const id of ['ord_1', 'ord_2', 'ord_3']) {
      await book.place(id, 'same', async () => orderFor(id));
    }
    expect(book.get('ord_1')).toBeUndefined();
    expect(book.get('ord_2')?.orderId).toBe('ord_2');
    expect(book.get('ord_3')?.orderId).toBe('ord_3');
  });

  it('replays a final refusal without running the checkout again', async () => {
    const book = new OrderBook();
    let runs = 0;
    const declined = new CheckoutError(402, 'ERR_PAYMENT_DECLINED', 'declined', { final: true });
    const place = () =>
      book.place('ord_x', 'same', async () => {
        runs += 1;
        throw declined;
      });
    await expect(place()).rejects.toBe(declined);
    await expect(place()).rejects.toBe(declined);
    expect(runs).toBe(1);
    expect(book.get('ord_x')).toBeUndefined();
  });

  it('runs again after a failure that is not final', async () => {
    const book = new OrderBook();
    let runs = 0;
    const place = () =>
      book.place('ord_y', 'same', async () => {
        runs += 1;
        if (runs === 1) throw new Error('payments unreachable');
        return orderFor('ord_y');
      });
    await expect(place()).rejects.toThrow('payments unreachable');
    expect(await place()).toEqual({ order: orderFor('ord_y'), replayed: false });
    expect(runs).toBe(2);
  });

  it('refuses a copy with a different fingerprint, while running and after', async () => {
    const book = new OrderBook();
    let finish: (order: Order) => void = () => undefined;
    const first = book.place(
      'ord_z',
      'one',
      () => new Promise<Order>((resolve) => (finish = resolve)),
    );
    await expect(book.place('ord_z', 'two', async () => orderFor('ord_z'))).rejects.toMatchObject({
      status: 409,
      code: 'ERR_IDEMPOTENCY_KEY_REUSED',
    });
    const joined = book.place('ord_z', 'one', async () => orderFor('never'));
    finish(orderFor('ord_z'));
    expect(await first).toEqual({ order: orderFor('ord_z'), replayed: false });
    expect(await joined).toEqual({ order: orderFor('ord_z'), replayed: true });
    await expect(book.place('ord_z', 'two', async () => orderFor('ord_z'))).rejects.toMatchObject({
      code: 'ERR_IDEMPOTENCY_KEY_REUSED',
    });
  });
});
