import type { Mesh } from '@trellis/mesh';
import { Router } from 'express';
import { cartApi } from './cart-api.js';
import { checkoutApi } from './checkout-api.js';
import { productsApi } from './products-api.js';

/** The BFF's JSON API, mounted at `/api`. */
export function apiRoutes(mesh: Mesh): Router {
  const router = Router();
  router.use(productsApi(mesh));
  router.use(cartApi(mesh));
  router.use(checkoutApi(mesh));
  // Unknown API routes answer JSON, not the page shell.
  router.use((request, response) => {
    response.status(404).json({
      error: {
        code: 'ERR_NOT_FOUND',
        message: `no API route ${request.method} /api${request.path}`,
      },
    });
  });
  return router;
}
