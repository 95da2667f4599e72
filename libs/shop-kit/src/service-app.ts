import type { Mesh } from '@trellis/mesh';
import {
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  type ServerState,
} from '@trellis/mesh-express';
import express, { type Express, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ZodError } from 'zod';
import type { Knobs } from './knobs.js';

/** What every shop service's app is built from, besides its own domain object. */
export interface ServiceParts {
  knobs: Knobs;
  state: ServerState;
  mesh: Mesh;
  metrics: Registry;
  logger: Logger;
}

/**
 * A shop service's Express app: the mesh's inbound chain and admin routes, a 16 kB JSON body
 * limit, the failure knobs, then the service's own routes, then the one error handler.
 */
export function createServiceApp(parts: ServiceParts, addRoutes: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(meshMiddleware({ state: parts.state }));
  app.use(meshAdminRoutes({ state: parts.state, mesh: parts.mesh, metrics: parts.metrics }));
  app.use(express.json({ limit: '16kb' }));
  app.use(parts.knobs.adminRoutes());
  app.use(parts.knobs.middleware());
  addRoutes(app);
  app.use(meshErrorHandler({ logger: parts.logger }));
  return app;
}

/** 400 naming the first wrong field and what is wrong with it. */
export function sendBadRequest(response: Response, error: ZodError, where = 'body'): void {
  const issue = error.issues[0]!;
  response.status(400).json({
    error: {
      code: 'ERR_BAD_REQUEST',
      message: `${issue.path.join('.') || where}: ${issue.message}`,
    },
  });
}
