import {
  createServiceApp,
  dependencyUnavailableHandler,
  sendBadRequest,
  type ServiceParts,
} from '@trellis/shop-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { IdempotencyKeyReusedError, type ChargeLedger } from './charge-ledger.js';

export interface PaymentsAppParts extends ServiceParts {
  ledger: ChargeLedger;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

const chargeBody = z
  .object({
    amountCents: z.number().int().min(1).max(10_000_000),
    currency: z.enum(['EUR', 'USD', 'GBP']),
    token: z.string().min(1).max(100),
    orderId: z.string().min(1).max(100),
  })
  .strict();

const listQuery = z.object({ orderId: z.string().min(1).max(100).optional() }).strict();

/** The payments API: idempotent charges, and reading them back. */
export function buildApp(parts: PaymentsAppParts): Express {
  return createServiceApp(parts, (app) => {
    app.post('/charges', async (request, response) => {
      const key = request.get('idempotency-key');
      if (!key || !IDEMPOTENCY_KEY.test(key)) {
        response.status(400).json({
          error: {
            code: 'ERR_IDEMPOTENCY_KEY_REQUIRED',
            message:
              'send an Idempotency-Key header (1-200 characters: letters, digits, . _ : -), one per charge',
          },
        });
        return;
      }
      const body = chargeBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
      try {
        const { outcome, replayed } = await parts.ledger.charge(key, body.data);
        if (replayed) response.set('idempotent-replayed', 'true');
        response.status(outcome.statusCode).json(outcome.body);
      } catch (error) {
        if (!(error instanceof IdempotencyKeyReusedError)) throw error;
        response.status(409).json({ error: { code: error.code, message: error.message } });
      }
    });

    app.get('/charges', async (request, response) => {
      const query = listQuery.safeParse(request.query);
      if (!query.success) return sendBadRequest(response, query.error, 'query');
      response.json(await parts.ledger.list(query.data.orderId));
    });

    app.get('/charges/:chargeId', async (request, response) => {
      const charge = await parts.ledger.get(request.params.chargeId);
      if (!charge) {
        response.status(404).json({
          error: { code: 'ERR_NO_SUCH_CHARGE', message: `no charge ${request.params.chargeId}` },
        });
        return;
      }
      response.json(charge);
    });

    app.use(dependencyUnavailableHandler(parts.logger));
  });
}
