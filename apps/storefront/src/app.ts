import { meshErrorHandler } from '@trellis/mesh-express';
import { createServiceApp, type ServiceParts } from '@trellis/shop-kit';
import express, { type Express, type Router } from 'express';
import { apiRoutes } from './api.js';
import { pageRoutes } from './pages.js';
import { userIdentity } from './user-identity.js';

export interface StorefrontAppParts extends ServiceParts {
  /** The live mesh dashboard's routes (`/dashboard...`), when this replica serves it. */
  dashboard?: Router;
}

/** The storefront: the BFF's JSON API under `/api`, the shop's pages, and the dashboard. */
export function buildApp(parts: StorefrontAppParts): Express {
  const shop = createServiceApp(parts, (app) => {
    app.use(userIdentity());
    app.use('/api', apiRoutes(parts.mesh));
    app.use(pageRoutes());
  });
  if (!parts.dashboard) return shop;
  // The dashboard goes in front of the shop's chain: the failure knobs must not hang or fail
  // the page used to heal them, and its long-lived event streams are not shop traffic.
  const app = express();
  app.disable('x-powered-by');
  app.use(parts.dashboard);
  app.use(shop);
  app.use(meshErrorHandler({ logger: parts.logger }));
  return app;
}
