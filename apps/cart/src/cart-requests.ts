import { z } from 'zod';
import { MAX_QTY } from './cart.js';

// What the cart's routes accept. Each error message says what a right value looks like.

export const userIdParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a user id is 1 to 64 letters, digits, "_" or "-"');

/** The catalog's SKU format. */
export const skuParam = z.string().regex(/^[a-z]+-\d{2}$/, 'a SKU looks like "tea-01"');

/** An Idempotency-Key header, which is also the checkout's key in its URL. */
export const checkoutKey = z
  .string({ error: 'is required' })
  .regex(
    /^[A-Za-z0-9_:-]{8,100}$/,
    'use 8 to 100 letters, digits, "_", ":" or "-", one key per checkout',
  );

export const setItemBody = z.object({ qty: z.number().int().min(1).max(MAX_QTY) }).strict();

/** A checkout is claimed by its header alone: no body, or an empty JSON object. */
export const claimBody = z.object({}).strict().optional();
