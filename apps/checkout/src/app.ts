import { Deadline, withDeadline } from '@trellis/mesh';
import { createServiceApp, sendBadRequest, type ServiceParts } from '@trellis/shop-kit';
import type { Express } from 'express';
import { checkoutErrorHandler } from './checkout-error.js';
import { CheckoutFlow } from './checkout-flow.js';
import {
  checkoutBody,
  idempotencyKey,
  orderIdFor,
  orderIdParam,
  type CheckoutRequest,
} from './checkout-request.js';
import type { OrderBook } from './order-book.js';

export interface CheckoutAppParts extends ServiceParts {
  orders: OrderBook;
}

/** The most a checkout may take when its caller sent no deadline of its own (a shorter one wins). */
export const CHECKOUT_BUDGET_MS = 10_000;

/** Everything but the key and the user (which make the order id) that one checkout asked for. */
function fingerprintOf(request: CheckoutRequest): string {
  const { name, line1, city, postcode, country } = request.address;
  return JSON.stringify([name, line1, city, postcode, country, request.paymentToken]);
}

/** The checkout API: place an order from a user's cart, and read placed orders back. */
export function buildApp(parts: CheckoutAppParts): Express {
  const flow = new CheckoutFlow(parts.mesh, parts.logger);
  return createServiceApp(parts, (app) => {
    app.post('/checkouts', async (request, response) => {
      const key = idempotencyKey.safeParse(request.get('idempotency-key'));
      if (!key.success) return sendBadRequest(response, key.error, 'Idempotency-Key');
      const body = checkoutBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
      const orderId = orderIdFor(body.data.userId, key.data);
      const { order, replayed } = await parts.orders.place(orderId, fingerprintOf(body.data), () =>
        withDeadline(Deadline.after(CHECKOUT_BUDGET_MS), () =>
          flow.run(body.data, key.data, orderId),
        ),
      );
      if (replayed) response.set('idempotent-replayed', 'true');
      response.status(replayed ? 200 : 201).json(order);
    });

    app.get('/orders/:orderId', (request, response) => {
      const orderId = orderIdParam.safeParse(request.params.orderId);
      if (!orderId.success) return sendBadRequest(response, orderId.error, 'orderId');
      const order = parts.orders.get(orderId.data);
      if (!order) {
        response.status(404).json({
          error: { code: 'ERR_NO_SUCH_ORDER', message: `no order ${orderId.data} on this replica` },
        });
        return;
      }
      response.json(order);
    });

    app.use(checkoutErrorHandler());
  });
}
