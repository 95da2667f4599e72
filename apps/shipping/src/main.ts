// Starts one shipping replica: reads its environment, registers in discovery, drains on SIGTERM.
import { createMesh } from '@trellis/mesh';
import { ServerState, startMeshServer } from '@trellis/mesh-express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, Knobs } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { ShippingDesk } from './shipping-desk.js';
import { loadConfig } from './config.js';

async function main(): Promise<void> {
  const logger = pino({ name: 'shipping' });
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal({ variable: error.variable }, error.message);
      process.exit(2);
    }
    throw error;
  }
  const mesh = createMesh({ logger });
  const metrics = new Registry();
  const state = new ServerState({ service: 'shipping' });
  const app = buildApp({
    desk: new ShippingDesk(),
    knobs: new Knobs(config.knobs),
    state,
    mesh,
    metrics,
    logger,
  });
  const server = await startMeshServer(app, {
    state,
    mesh,
    logger,
    port: config.port,
    host: config.host,
    ...(config.zone ? { zone: config.zone } : {}),
    drain: { delayMs: config.drainDelayMs },
  });
  logger.info({ url: server.url }, 'shipping is up');
}

void main();
