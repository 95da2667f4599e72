import { createMesh } from '@trellis/mesh';
import { ServerState, startMeshServer } from '@trellis/mesh-express';
import type { Express } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Knobs } from './knobs.js';
import { ConfigError, loadServiceConfig, type ServiceConfig } from './service-config.js';
import type { ServiceParts } from './service-app.js';

export interface RunServiceOptions {
  service: string;
  buildApp: (parts: ServiceParts) => Express;
  loadConfig?: (env: NodeJS.ProcessEnv) => ServiceConfig;
}

/**
 * Starts one replica of a shop service: reads its environment (a wrong variable exits 2 naming
 * it), registers in discovery, and drains on SIGTERM.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const logger = pino({ name: options.service });
  let config: ServiceConfig;
  try {
    config = (options.loadConfig ?? loadServiceConfig)(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.fatal({ variable: error.variable }, error.message);
    process.exit(2);
  }
  const mesh = createMesh({ logger });
  const state = new ServerState({ service: options.service });
  const app = options.buildApp({
    knobs: new Knobs(config.knobs),
    state,
    mesh,
    metrics: new Registry(),
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
  logger.info({ url: server.url }, `${options.service} is up`);
}
