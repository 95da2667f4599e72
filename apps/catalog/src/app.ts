import express, { type Express } from 'express';
import type { Mesh } from '@trellis/mesh';
import {
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  type ServerState,
} from '@trellis/mesh-express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { OutOfStockError, type CatalogStore } from './catalog-store.js';
import type { Knobs } from '@trellis/shop-kit';

export interface CatalogAppParts {
  store: CatalogStore;
  knobs: Knobs;
  state: ServerState;
  mesh: Mesh;
  metrics: Registry;
  logger: Logger;
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

function badRequest(response: express.Response, error: z.ZodError): void {
  const issue = error.issues[0]!;
  const where = issue.path.join('.') || 'request';
  response
    .status(400)
    .json({ error: { code: 'ERR_BAD_REQUEST', message: `${where}: ${issue.message}` } });
}

/** The catalog's HTTP API: list, look up and reserve products. */
export function buildApp(parts: CatalogAppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(meshMiddleware({ state: parts.state }));
  app.use(meshAdminRoutes({ state: parts.state, mesh: parts.mesh, metrics: parts.metrics }));
  app.use(express.json({ limit: '16kb' }));
  app.use(parts.knobs.adminRoutes());
  app.use(parts.knobs.middleware());

  app.get('/products', (request, response) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) return badRequest(response, query.error);
    const { category, q, limit } = query.data;
    response.json(parts.store.list({ category, query: q, limit }));
  });

  app.get('/products/:sku', (request, response) => {
    const parsed = sku.safeParse(request.params.sku);
    if (!parsed.success) return badRequest(response, parsed.error);
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
    if (!parsedSku.success) return badRequest(response, parsedSku.error);
    const body = reservation.safeParse(request.body);
    if (!body.success) return badRequest(response, body.error);
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
      response
        .status(409)
        .json({ error: { code: error.code, message: error.message, available: error.available } });
    }
  });

  app.use(meshErrorHandler({ logger: parts.logger }));
  return app;
}
