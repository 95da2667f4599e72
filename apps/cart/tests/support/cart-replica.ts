import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import type { Express } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/app.js';
import type { CartStore } from '../../src/cart-store.js';

/** One cart app on a loopback port, as a replica runs it (without discovery). */
export interface CartReplica {
  app: Express;
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function cartApp(store: CartStore, mesh: Mesh, name = 'cart-test'): Express {
  const state = new ServerState({ service: 'cart' });
  state.markRegistered(name);
  return buildApp({
    store,
    knobs: new Knobs({ latencyMs: 0, errorRate: 0, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
}

export async function startReplica(store: CartStore, name = 'cart-test'): Promise<CartReplica> {
  const mesh = createMesh({ discovery: [] });
  const app = cartApp(store, mesh, name);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    app,
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await mesh.close();
    },
  };
}
