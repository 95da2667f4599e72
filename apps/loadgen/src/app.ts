import { createServiceApp, sendBadRequest, type ServiceParts } from '@trellis/shop-kit';
import type { Express } from 'express';
import { z } from 'zod';
import { mixSchema, rpsSchema } from './config.js';
import type { LoadGenerator } from './load-generator.js';

export interface LoadgenAppParts extends ServiceParts {
  generator: LoadGenerator;
}

const loadBody = z
  .object({ rps: rpsSchema, mix: mixSchema })
  .partial()
  .strict()
  .refine((body) => body.rps !== undefined || body.mix !== undefined, {
    message: 'give rps, mix or both, like {"rps": 20, "mix": "browse=70,cart=20,checkout=10"}',
  });

/**
 * The loadgen's HTTP API: `GET`/`POST /admin/load` read and change the rate and mix. The knobs'
 * router answers `/admin/*` on loopback only, so these routes inherit that guard.
 */
export function buildApp(parts: LoadgenAppParts): Express {
  return createServiceApp(parts, (app) => {
    app.get('/admin/load', (_request, response) => {
      response.json(parts.generator.report());
    });

    app.post('/admin/load', (request, response) => {
      const body = loadBody.safeParse(request.body ?? {});
      if (!body.success) return sendBadRequest(response, body.error);
      parts.generator.set(body.data);
      parts.logger.info({ load: body.data }, 'load changed');
      response.json(parts.generator.report());
    });
  });
}
