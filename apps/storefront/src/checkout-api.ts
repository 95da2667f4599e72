import { randomUUID } from 'node:crypto';
import type { Mesh } from '@trellis/mesh';
import { sendBadRequest } from '@trellis/shop-kit';
import { Router } from 'express';
import { z } from 'zod';
import { order } from './shop-schemas.js';
import { readAnswer, relayRefusal } from './upstream-answer.js';
import { CALL_TIMEOUT_MS } from './upstreams.js';
import { userIdOf } from './user-identity.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

const text = (max: number) =>
  z.string().trim().min(1, 'required').max(max, `at most ${max} characters`);

const checkoutBody = z
  .object({
    address: z
      .object({
        name: text(100),
        line1: text(200),
        city: text(100),
        postcode: text(20),
        country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code such as "DE"'),
      })
      .strict(),
    paymentToken: z.string().regex(/^[A-Za-z0-9_]{1,100}$/, 'a payment token such as "tok_visa"'),
  })
  .strict();

/**
 * `POST /checkout`: places the order through the checkout service. The page sends one
 * `Idempotency-Key` per checkout attempt, so a double click or a retry is the same order; a
 * caller without one gets a fresh key (answered in the `Idempotency-Key` header).
 */
export function checkoutApi(mesh: Mesh): Router {
  const router = Router();

  router.post('/checkout', async (request, response) => {
    const sentKey = request.get('idempotency-key');
    if (sentKey !== undefined && !IDEMPOTENCY_KEY.test(sentKey)) {
      response.status(400).json({
        error: {
          code: 'ERR_BAD_REQUEST',
          message:
            'Idempotency-Key: 1 to 200 letters, digits, ".", "_", ":" or "-", one per checkout attempt',
        },
      });
      return;
    }
    const body = checkoutBody.safeParse(request.body);
    if (!body.success) return sendBadRequest(response, body.error);
    const key = sentKey ?? `sf-${randomUUID()}`;
    const answer = await readAnswer(
      await mesh.client('checkout').request({
        method: 'POST',
        path: '/checkouts',
        headers: { 'idempotency-key': key },
        json: { userId: userIdOf(response), ...body.data },
        timeoutMs: CALL_TIMEOUT_MS.checkout,
      }),
      order,
    );
    response.set('idempotency-key', key);
    if (!answer.ok) return relayRefusal(response, answer);
    response.status(answer.statusCode).json(answer.body);
  });

  return router;
}
