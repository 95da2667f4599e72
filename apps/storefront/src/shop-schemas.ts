import { z } from 'zod';

/** A SKU as the shop writes them (e.g. "tea-01"): safe in a path, and short. */
export const skuParam = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a SKU is lower-case letters and digits, like "tea-01"')
  .max(40, 'a SKU has at most 40 characters');

/** The catalog's product; unknown fields are kept, so they reach the page. */
export const product = z.looseObject({
  sku: z.string(),
  name: z.string(),
  category: z.string(),
  priceCents: z.number().int().nonnegative(),
  stock: z.number().int(),
});
export type Product = z.infer<typeof product>;

/** The cart service's cart. */
export const cart = z.object({
  userId: z.string(),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
});
export type Cart = z.infer<typeof cart>;

/** Checkout's order; relayed as it is, so only what the storefront relies on is checked. */
export const order = z.looseObject({ orderId: z.string().min(1) });
