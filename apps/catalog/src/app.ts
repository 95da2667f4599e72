import { createServiceApp, sendBadRequest, type ServiceParts } from '@trellis/shop-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { OutOfStockError, type CatalogStore } from './catalog-store.js';

export interface CatalogAppParts extends ServiceParts {
  store: CatalogStore;
}

const listQuery = z
  .object({
    category: z.string().min(1).max(40).optional(),
    q: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(100),
  })
  .strict();

const sku = z.string().regex(/^[a-z]+-\d{2}$/, 'a SKU looks like "tea-01"');
const reservation = z.object({ qty: z.number().int().min(1).max(100) }).strict();

/** The catalog's HTTP API: list, look up and reserve products. */
export function buildApp(parts: CatalogAppParts): Express {
  return createServiceApp(parts, (app) => {
    app.get('/products', (request, response) => {
      const query = listQuery.safeParse(request.query);
      if (!query.success) return sendBadRequest(response, query.error, 'request');
      const { category, q, limit } = query.data;
      response.json(parts.store.list({ category, query: q, limit }));
    });

    app.get('/products/:sku', (request, response) => {
      const parsed = sku.safeParse(request.params.sku);
      if (!parsed.success) return sendBadRequest(response, parsed.error, 'request');
      const product = parts.store.get(parsed.data);
      if (!product) {
        response
          .status(404)
          .json({ error: { code: 'ERR_NO_SUCH_PRODUCT', message: `no product ${parsed.data}` } });
        return;
      }
      response.json(product);
    });

    app.post('/products/:sku/reservations', (request, response) => {
      const parsedSku = sku.safeParse(request.params.sku);
      if (!parsedSku.success) return sendBadRequest(response, parsedSku.error, 'request');
      const body = reservation.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error, 'request');
      try {
        const product = parts.store.reserve(parsedSku.data, body.data.qty);
        if (!product) {
          response.status(404).json({
            error: { code: 'ERR_NO_SUCH_PRODUCT', message: `no product ${parsedSku.data}` },
          });
          return;
        }
        response
          .status(201)
          .json({ sku: product.sku, reserved: body.data.qty, stock: product.stock });
      } catch (error) {
        if (!(error instanceof OutOfStockError)) throw error;
        response.status(409).json({
          error: { code: error.code, message: error.message, available: error.available },
        });
      }
    });
  });
}
