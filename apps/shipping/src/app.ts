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
import { UnknownQuoteError, type ShippingDesk } from './shipping-desk.js';

export interface ShippingAppParts {
  desk: ShippingDesk;
  knobs: Knobs;
  state: ServerState;
  mesh: Mesh;
  metrics: Registry;
  logger: Logger;
}

const quoteBody = z
  .object({
    country: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code such as "DE"'),
    items: z
      .array(
        z
          .object({ sku: z.string().min(1).max(40), qty: z.number().int().min(1).max(100) })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict();

const shipmentBody = z
  .object({
    orderId: z.string().min(1).max(100),
    quoteId: z.string().regex(/^q_[0-9a-f]{12}$/, 'a quote id from POST /quotes'),
  })
  .strict();

function badRequest(response: express.Response, error: z.ZodError): void {
  const issue = error.issues[0]!;
  response.status(400).json({
    error: {
      code: 'ERR_BAD_REQUEST',
      message: `${issue.path.join('.') || 'body'}: ${issue.message}`,
    },
  });
}

/** The shipping API: quotes, shipments (one per order) and tracking. */
export function buildApp(parts: ShippingAppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(meshMiddleware({ state: parts.state }));
  app.use(meshAdminRoutes({ state: parts.state, mesh: parts.mesh, metrics: parts.metrics }));
  app.use(express.json({ limit: '16kb' }));
  app.use(parts.knobs.adminRoutes());
  app.use(parts.knobs.middleware());

  app.post('/quotes', (request, response) => {
    const body = quoteBody.safeParse(request.body);
    if (!body.success) return badRequest(response, body.error);
    response.status(201).json(parts.desk.quote(body.data));
  });

  app.post('/shipments', (request, response) => {
    const body = shipmentBody.safeParse(request.body);
    if (!body.success) return badRequest(response, body.error);
    try {
      const { shipment, created } = parts.desk.ship(body.data.orderId, body.data.quoteId);
      response.status(created ? 201 : 200).json(shipment);
    } catch (error) {
      if (!(error instanceof UnknownQuoteError)) throw error;
      response.status(404).json({ error: { code: error.code, message: error.message } });
    }
  });

  app.get('/shipments/:trackingNumber', (request, response) => {
    const shipment = parts.desk.track(request.params.trackingNumber);
    if (!shipment) {
      response.status(404).json({
        error: {
          code: 'ERR_NO_SUCH_SHIPMENT',
          message: `no shipment ${request.params.trackingNumber}`,
        },
      });
      return;
    }
    response.json(shipment);
  });

  app.use(meshErrorHandler({ logger: parts.logger }));
  return app;
}
