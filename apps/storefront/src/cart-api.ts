import type { Mesh, MeshRequest } from '@trellis/mesh';
import { sendBadRequest } from '@trellis/shop-kit';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { viewCart } from './cart-view.js';
import { cart, product, skuParam } from './shop-schemas.js';
import { readAnswer, relayRefusal } from './upstream-answer.js';
import { CALL_TIMEOUT_MS } from './upstreams.js';
import { userIdOf } from './user-identity.js';

const quantity = z
  .object({ qty: z.number().int().min(1, 'at least 1').max(100, 'at most 100') })
  .strict();

/** `GET /cart`, `PUT` and `DELETE /cart/items/:sku`: the user's cart, priced by the catalog. */
export function cartApi(mesh: Mesh): Router {
  const router = Router();

  // Every cart call is hashed by the user, so a user's calls reach the replica holding the cart.
  const callCart = async (userId: string, call: Omit<MeshRequest, 'hashKey' | 'timeoutMs'>) =>
    readAnswer(
      await mesh
        .client('cart')
        .request({ ...call, hashKey: userId, timeoutMs: CALL_TIMEOUT_MS.cart }),
      cart,
    );

  const answerWithCart = async (
    response: Response,
    answer: Awaited<ReturnType<typeof callCart>>,
  ): Promise<void> => {
    if (!answer.ok) return relayRefusal(response, answer);
    response.json(await viewCart(mesh, answer.body));
  };

  const cartPath = (userId: string, sku?: string): string =>
    `/carts/${encodeURIComponent(userId)}${sku === undefined ? '' : `/items/${encodeURIComponent(sku)}`}`;

  router.get('/cart', async (_request, response) => {
    const userId = userIdOf(response);
    await answerWithCart(response, await callCart(userId, { path: cartPath(userId) }));
  });

  router.put('/cart/items/:sku', async (request, response) => {
    const sku = skuParam.safeParse(request.params.sku);
    if (!sku.success) return sendBadRequest(response, sku.error, 'sku');
    const body = quantity.safeParse(request.body);
    if (!body.success) return sendBadRequest(response, body.error);
    // Only what the catalog sells goes into a cart: an unknown SKU gets the catalog's 404.
    const known = await readAnswer(
      await mesh.client('catalog').request({
        path: `/products/${encodeURIComponent(sku.data)}`,
        timeoutMs: CALL_TIMEOUT_MS.catalog,
      }),
      product,
    );
    if (!known.ok) return relayRefusal(response, known);
    const userId = userIdOf(response);
    await answerWithCart(
      response,
      await callCart(userId, {
        method: 'PUT',
        path: cartPath(userId, sku.data),
        json: { qty: body.data.qty },
      }),
    );
  });

  router.delete('/cart/items/:sku', async (request, response) => {
    const sku = skuParam.safeParse(request.params.sku);
    if (!sku.success) return sendBadRequest(response, sku.error, 'sku');
    const userId = userIdOf(response);
    await answerWithCart(
      response,
      await callCart(userId, { method: 'DELETE', path: cartPath(userId, sku.data) }),
    );
  });

  return router;
}
