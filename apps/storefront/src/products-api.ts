import type { Mesh } from '@trellis/mesh';
import { sendBadRequest } from '@trellis/shop-kit';
import { Router } from 'express';
import { z } from 'zod';
import { product, skuParam } from './shop-schemas.js';
import { readAnswer, relayRefusal } from './upstream-answer.js';
import { CALL_TIMEOUT_MS } from './upstreams.js';

// An empty filter (`?category=&q=`, as a form sends it) means no filter.
const emptyAsMissing = (value: unknown): unknown => (value === '' ? undefined : value);

const listQuery = z
  .object({
    category: z.preprocess(emptyAsMissing, z.string().max(40).optional()),
    q: z.preprocess(emptyAsMissing, z.string().max(100).optional()),
  })
  .strict();

/** `GET /products` and `GET /products/:sku`, from the catalog. */
export function productsApi(mesh: Mesh): Router {
  const router = Router();

  router.get('/products', async (request, response) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) return sendBadRequest(response, query.error, 'query');
    const search = new URLSearchParams();
    if (query.data.category) search.set('category', query.data.category);
    if (query.data.q) search.set('q', query.data.q);
    const path = search.size > 0 ? `/products?${search}` : '/products';
    const answer = await readAnswer(
      await mesh.client('catalog').request({ path, timeoutMs: CALL_TIMEOUT_MS.catalog }),
      z.array(product),
    );
    if (!answer.ok) return relayRefusal(response, answer);
    response.json(answer.body);
  });

  router.get('/products/:sku', async (request, response) => {
    const sku = skuParam.safeParse(request.params.sku);
    if (!sku.success) return sendBadRequest(response, sku.error, 'sku');
    const answer = await readAnswer(
      await mesh.client('catalog').request({
        path: `/products/${encodeURIComponent(sku.data)}`,
        timeoutMs: CALL_TIMEOUT_MS.catalog,
      }),
      product,
    );
    if (!answer.ok) return relayRefusal(response, answer);
    response.json(answer.body);
  });

  return router;
}
