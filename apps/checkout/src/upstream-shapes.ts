import { z } from 'zod';

// What checkout reads from each upstream's answers (docs/shop.md); extra fields are ignored.

const sku = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

export const claimAnswer = z.object({
  items: z
    .array(z.object({ sku, qty: z.number().int().min(1).max(100) }))
    .min(1)
    .max(50),
});

export const productAnswer = z.object({
  sku,
  name: z.string().min(1),
  priceCents: z.number().int().min(0),
  stock: z.number().int().min(0),
});

export const quoteAnswer = z.object({
  quoteId: z.string().min(1),
  costCents: z.number().int().min(0),
  carrier: z.string().min(1),
  days: z.number().int().min(0),
});

export const chargeAnswer = z.object({ chargeId: z.string().min(1) });

export const shipmentAnswer = z.object({ trackingNumber: z.string().min(1) });

export type ClaimedItem = z.infer<typeof claimAnswer>['items'][number];
export type Product = z.infer<typeof productAnswer>;
