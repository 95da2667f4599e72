import { createHash } from 'node:crypto';
import { z } from 'zod';

/** What a caller sends to `POST /checkouts`, besides its Idempotency-Key. */
export const checkoutBody = z
  .object({
    userId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a user id is 1-64 letters, digits, _ or -'),
    address: z
      .object({
        name: z.string().trim().min(1).max(100),
        line1: z.string().trim().min(1).max(200),
        city: z.string().trim().min(1).max(100),
        postcode: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/,
            'a postcode is 2-12 letters, digits, spaces or -',
          ),
        country: z
          .string()
          .regex(/^[A-Z]{2}$/, 'a two-letter upper-case country code such as "DE"'),
      })
      .strict(),
    paymentToken: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,100}$/,
        'a payment token such as "tok_visa" (1-100 letters, digits, _ or -)',
      ),
  })
  .strict();

export type CheckoutRequest = z.infer<typeof checkoutBody>;

export const idempotencyKey = z
  .string({ error: 'required header, one per checkout' })
  .regex(/^[A-Za-z0-9_:-]{8,100}$/, 'use 8-100 letters, digits, _ : or -, one per checkout');

export const orderIdParam = z
  .string()
  .regex(/^ord_[0-9a-f]{16}$/, 'an order id looks like "ord_" and 16 hex digits');

/** The same user and key give the same order id on every replica, so a repeat is the same order. */
export function orderIdFor(userId: string, key: string): string {
  return `ord_${createHash('sha256').update(`${userId}:${key}`).digest('hex').slice(0, 16)}`;
}
