import {
  createServiceApp,
  dependencyUnavailableHandler,
  sendBadRequest,
  type ServiceParts,
} from '@trellis/shop-kit';
import type { Express, Request, Response } from 'express';
import { checkoutKey, claimBody, setItemBody, skuParam, userIdParam } from './cart-requests.js';
import { CartFullError, type CartStore } from './cart-store.js';

export interface CartAppParts extends ServiceParts {
  store: CartStore;
}

/** The cart's HTTP API: carts per user, and the claims checkouts make on them. */
export function buildApp(parts: CartAppParts): Express {
  const { store } = parts;
  return createServiceApp(parts, (app) => {
    app.get('/carts/:userId', async (request, response) => {
      const userId = parseUserId(request, response);
      if (userId === undefined) return;
      response.json({ userId, items: await store.get(userId) });
    });

    app.put('/carts/:userId/items/:sku', async (request, response) => {
      const userId = parseUserId(request, response);
      if (userId === undefined) return;
      const sku = skuParam.safeParse(request.params.sku);
      if (!sku.success) return sendBadRequest(response, sku.error, 'sku');
      const body = setItemBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
      try {
        response.json({ userId, items: await store.setItem(userId, sku.data, body.data.qty) });
      } catch (error) {
        if (!(error instanceof CartFullError)) throw error;
        response.status(409).json({
          error: { code: error.code, message: error.message, maxLines: error.maxLines },
        });
      }
    });

    app.delete('/carts/:userId/items/:sku', async (request, response) => {
      const userId = parseUserId(request, response);
      if (userId === undefined) return;
      const sku = skuParam.safeParse(request.params.sku);
      if (!sku.success) return sendBadRequest(response, sku.error, 'sku');
      response.json({ userId, items: await store.removeItem(userId, sku.data) });
    });

    app.post('/carts/:userId/checkouts', async (request, response) => {
      const userId = parseUserId(request, response);
      if (userId === undefined) return;
      const key = checkoutKey.safeParse(request.get('idempotency-key'));
      if (!key.success) return sendBadRequest(response, key.error, 'Idempotency-Key');
      const body = claimBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
      const outcome = await store.claim(userId, key.data);
      if (outcome.kind === 'empty') {
        response.status(409).json({
          error: { code: 'ERR_CART_EMPTY', message: `the cart of ${userId} is empty` },
        });
        return;
      }
      if (outcome.kind === 'replayed') response.set('idempotent-replayed', 'true');
      response
        .status(outcome.kind === 'claimed' ? 201 : 200)
        .json({ userId, checkoutKey: key.data, items: outcome.items });
    });

    app.delete('/carts/:userId/checkouts/:checkoutKey', async (request, response) => {
      const userId = parseUserId(request, response);
      if (userId === undefined) return;
      const key = checkoutKey.safeParse(request.params.checkoutKey);
      if (!key.success) return sendBadRequest(response, key.error, 'checkoutKey');
      const outcome = await store.release(userId, key.data);
      if (outcome.kind === 'unknown') {
        response.status(404).json({
          error: {
            code: 'ERR_NO_SUCH_CHECKOUT',
            message: `no checkout ${key.data} for ${userId} (never claimed, or expired)`,
          },
        });
        return;
      }
      if (outcome.kind === 'already-released') response.set('idempotent-replayed', 'true');
      response.json({ userId, items: outcome.cart });
    });

    app.use(dependencyUnavailableHandler(parts.logger));
  });
}

function parseUserId(request: Request, response: Response): string | undefined {
  const userId = userIdParam.safeParse(request.params.userId);
  if (userId.success) return userId.data;
  sendBadRequest(response, userId.error, 'userId');
  return undefined;
}
