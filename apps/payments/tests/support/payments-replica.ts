import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import type { Express } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/app.js';
import type { ChargeLedger } from '../../src/charge-ledger.js';

export function paymentsApp(
  ledger: ChargeLedger,
  mesh: Mesh,
  name = 'payments-test',
  errorRate = 0,
): Express {
  const state = new ServerState({ service: 'payments' });
  state.markRegistered(name);
  return buildApp({
    ledger,
    knobs: new Knobs({ latencyMs: 0, errorRate, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
}

/** One payments app on a loopback port, as a replica runs it (without discovery). */
export interface PaymentsReplica {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startReplica(
  ledger: ChargeLedger,
  name = 'payments-test',
): Promise<PaymentsReplica> {
  const mesh = createMesh({ discovery: [] });
  const app = paymentsApp(ledger, mesh, name);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await mesh.close();
    },
  };
}
