import { createServiceApp, sendBadRequest, type ServiceParts } from '@trellis/shop-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { UnknownQuoteError, type ShippingDesk } from './shipping-desk.js';

export interface ShippingAppParts extends ServiceParts {
  desk: ShippingDesk;
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

/** The shipping API: quotes, shipments (one per order) and tracking. */
export function buildApp(parts: ShippingAppParts): Express {
  return createServiceApp(parts, (app) => {
    app.post('/quotes', (request, response) => {
      const body = quoteBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
      response.status(201).json(parts.desk.quote(body.data));
    });

    app.post('/shipments', (request, response) => {
      const body = shipmentBody.safeParse(request.body);
      if (!body.success) return sendBadRequest(response, body.error);
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
  });
}
