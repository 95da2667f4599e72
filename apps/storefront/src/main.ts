// Starts one storefront replica: the shop's pages, its BFF API and the live mesh dashboard.
import { LocalRegistry } from '@trellis/mesh';
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig, type StorefrontConfig } from './config.js';
import { dashboardRoutes } from './dashboard/index.js';
import { STOREFRONT_UPSTREAMS } from './upstreams.js';

// runService reads the environment before it builds the app; the dashboard needs the result.
let config: StorefrontConfig | undefined;

void runService({
  service: 'storefront',
  loadConfig: (env) => (config = loadConfig(env)),
  upstreams: STOREFRONT_UPSTREAMS,
  buildApp: (parts) => {
    if (!config) throw new Error('the configuration is read before the app is built');
    // The dashboard reads the local registry (TRELLIS_REGISTRY_DIR) through resolvers of its own.
    const registry = new LocalRegistry();
    const dashboard = dashboardRoutes({
      discovery: registry,
      services: config.dashboardServices,
      logger: parts.logger.child({ component: 'dashboard' }),
      ...(config.launcherUrl ? { launcherUrl: config.launcherUrl } : {}),
    });
    // runService has no shutdown hook: stop the dashboard's streams and timers on the signal
    // that starts the drain, so open event streams do not hold the server open.
    const stopDashboard = (): void => {
      dashboard.close();
      registry.close().catch((error: unknown) => {
        parts.logger.warn({ err: error }, 'The dashboard registry did not close cleanly');
      });
    };
    process.once('SIGTERM', stopDashboard);
    process.once('SIGINT', stopDashboard);
    return buildApp({ ...parts, dashboard });
  },
});
