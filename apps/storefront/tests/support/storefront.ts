// Builds the storefront app on a mesh whose upstreams are the given loopback servers.
import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import type { Router } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/app.js';
import { STOREFRONT_UPSTREAMS } from '../../src/upstreams.js';

export type Endpoint = { address: string; port: number };

export interface StorefrontUnderTest {
  app: ReturnType<typeof buildApp>;
  mesh: Mesh;
  knobs: Knobs;
}

/** The storefront as `runService` builds it, with the upstreams' endpoints fixed. */
export function storefrontWith(
  upstreams: { catalog: Endpoint[]; cart: Endpoint[]; checkout: Endpoint[] },
  extra: { dashboard?: Router } = {},
): StorefrontUnderTest {
  const mesh = createMesh({
    discovery: [],
    upstreams: {
      catalog: { endpoints: upstreams.catalog },
      cart: { ...STOREFRONT_UPSTREAMS.cart, endpoints: upstreams.cart },
      checkout: { endpoints: upstreams.checkout },
    },
  });
  const knobs = new Knobs({ latencyMs: 0, errorRate: 0, hang: false }, () => 0.5);
  const state = new ServerState({ service: 'storefront' });
  state.markRegistered('storefront-test');
  const app = buildApp({
    knobs,
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  return { app, mesh, knobs };
}
