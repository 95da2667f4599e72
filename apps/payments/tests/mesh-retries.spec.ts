import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createMesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { MemoryChargeLedger } from '../src/memory-charge-ledger.js';

// Two replicas share one ledger here, as replicas share a database in production; one of them
// fails half its calls. Callers retry charges (they carry an Idempotency-Key): no charge twice.
describe('payments behind the mesh with a failing replica', () => {
  const ledger = new MemoryChargeLedger();
  const servers: Server[] = [];
  const serviceMesh = createMesh({ discovery: [] });

  beforeAll(async () => {
    for (const errorRate of [0, 0.5]) {
      const state = new ServerState({ service: 'payments' });
      state.markRegistered(`payments-${errorRate}`);
      const app = buildApp({
        ledger,
        knobs: new Knobs({ latencyMs: 0, errorRate, hang: false }),
        state,
        mesh: serviceMesh,
        metrics: new Registry(),
        logger: pino({ level: 'silent' }),
      });
      await new Promise<void>((resolve) =>
        servers.push(app.listen(0, '127.0.0.1', () => resolve())),
      );
    }
  });

  afterAll(async () => {
    await serviceMesh.close();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('charges every order exactly once although half the calls to one replica fail', async () => {
    const endpoints = servers.map((server) => ({
      address: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
    }));
    const caller = createMesh({
      discovery: [],
      upstreams: {
        payments: { endpoints, balancer: 'round-robin', outlierDetection: false, breaker: false },
      },
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          caller.client('payments').request({
            method: 'POST',
            path: '/charges',
            headers: { 'idempotency-key': `checkout-${index}` },
            json: {
              amountCents: 1_000 + index,
              currency: 'EUR',
              token: 'tok_visa',
              orderId: `order-${index}`,
            },
          }),
        ),
      );
      for (const answer of answers) await answer.body.dump();
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array(40).fill(201));
      const charges = await ledger.list();
      expect(charges).toHaveLength(40);
      expect(new Set(charges.map((charge) => charge.orderId)).size).toBe(40);
    } finally {
      await caller.close();
    }
  });
});
