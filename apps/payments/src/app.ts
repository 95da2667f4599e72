import type { Mesh } from '@trellis/mesh';
import {
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  type ServerState,
} from '@trellis/mesh-express';
import type { Knobs } from '@trellis/shop-kit';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { IdempotencyKeyReusedError, type ChargeLedger } from './charge-ledger.js';

export interface PaymentsAppParts {
  ledger: ChargeLedger;
  knobs: Knobs;
  state: ServerState;
  mesh: Mesh;
  metrics: Registry;
  logger: Logger;
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

function badRequest(response: express.Response, code: string, message: string): void {
  response.status(400).json({ error: { code, message } });
}

/** The payments API: idempotent charges, and reading them back. */
export function buildApp(parts: PaymentsAppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(meshMiddleware({ state: parts.state }));
  app.use(meshAdminRoutes({ state: parts.state, mesh: parts.mesh, metrics: parts.metrics }));
  app.use(express.json({ limit: '16kb' }));
  app.use(parts.knobs.adminRoutes());
  app.use(parts.knobs.middleware());

  app.post('/charges', async (request, response) => {
    const key = request.get('idempotency-key');
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      return badRequest(
        response,
        'ERR_IDEMPOTENCY_KEY_REQUIRED',
        'send an Idempotency-Key header (1-200 characters: letters, digits, . _ : -), one per charge',
      );
    }
    const body = chargeBody.safeParse(request.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      return badRequest(
        response,
        'ERR_BAD_REQUEST',
        `${issue.path.join('.') || 'body'}: ${issue.message}`,
      );
    }
    try {
      const { outcome, replayed } = await parts.ledger.charge(key, body.data);
      if (replayed) response.set('idempotent-replayed', 'true');
      response.status(outcome.statusCode).json(outcome.body);
    } catch (error) {
      if (!(error instanceof IdempotencyKeyReusedError)) throw error;
      response.status(409).json({ error: { code: error.code, message: error.message } });
    }
  });

  app.get('/charges', (request, response) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) {
      const issue = query.error.issues[0]!;
      return badRequest(
        response,
        'ERR_BAD_REQUEST',
        `${issue.path.join('.') || 'query'}: ${issue.message}`,
      );
    }
    response.json(parts.ledger.list(query.data.orderId));
  });

  app.get('/charges/:chargeId', (request, response) => {
    const charge = parts.ledger.get(request.params.chargeId);
    if (!charge) {
      response.status(404).json({
        error: { code: 'ERR_NO_SUCH_CHARGE', message: `no charge ${request.params.chargeId}` },
      });
      return;
    }
    response.json(charge);
  });

  app.use(meshErrorHandler({ logger: parts.logger }));
  return app;
}
