import { createMesh, type MeshOptions } from '@trellis/mesh';
import { ServerState, startMeshServer } from '@trellis/mesh-express';
import type { Express } from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Knobs } from './knobs.js';
import { ConfigError, loadServiceConfig, type ServiceConfig } from './service-config.js';
import type { ServiceParts } from './service-app.js';

/** What a service may hook into its own life, beside the app's parts. */
export interface ServiceLifecycle {
  /** Runs during the drain, after in-flight requests and the mesh are done (close stores here). */
  onShutdown(hook: () => unknown): void;
}

export interface RunServiceOptions {
  service: string;
  buildApp: (parts: ServiceParts, lifecycle: ServiceLifecycle) => Express;
  loadConfig?: (env: NodeJS.ProcessEnv) => ServiceConfig;
  /** Per-upstream settings of this service's mesh (e.g. a consistent-hash balancer). */
  upstreams?: MeshOptions['upstreams'];
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
  // One registry for the server's and the mesh client's metrics: one `/metrics` per replica.
  const metrics = new Registry();
  const mesh = createMesh({
    logger,
    metrics: { registry: metrics },
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
  });
  const state = new ServerState({ service: options.service });
  const shutdownHooks: (() => unknown)[] = [];
  const app = options.buildApp(
    { knobs: new Knobs(config.knobs), state, mesh, metrics, logger },
    { onShutdown: (hook) => shutdownHooks.push(hook) },
  );
  const server = await startMeshServer(app, {
    state,
    mesh,
    logger,
    port: config.port,
    host: config.host,
    ...(config.zone ? { zone: config.zone } : {}),
    ...(config.replica ? { metadata: { replica: config.replica } } : {}),
    drain: { delayMs: config.drainDelayMs },
    onShutdown: async () => {
      for (const hook of shutdownHooks) await hook();
    },
  });
  logger.info({ url: server.url }, `${options.service} is up`);
}
