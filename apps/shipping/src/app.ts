import { createServiceApp, sendBadRequest, type ServiceParts } from '@trellis/shop-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { QUOTE_ID, QuoteTamperedError } from './quote-seal.js';
import { QuoteExpiredError, type ShippingDesk } from './shipping-desk.js';

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
    quoteId: z.string().regex(QUOTE_ID, 'a quote id from POST /quotes'),
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
        // A forged or altered quote is bad input; an expired one no longer exists.
        if (error instanceof QuoteTamperedError) {
          response.status(400).json({ error: { code: error.code, message: error.message } });
          return;
        }
        if (!(error instanceof QuoteExpiredError)) throw error;
        response.status(404).json({ error: { code: error.code, message: error.message } });
      }
    });

    app.get('/shipments/:trackingNumber', (request, response) => {
      const shipment = parts.desk.track(request.params.trackingNumber);
      if (!shipment) {
        response.status(404).json({
          error: {
            code: 'ERR_NO_SUCH_SHIPMENT',
            message: `no shipment ${request.params.trackingNumber} was booked on this replica`,
          },
        });
        return;
      }
      response.json(shipment);
    });
  });
}
