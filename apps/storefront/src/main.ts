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
  buildApp: (parts, lifecycle) => {
    if (!config) throw new Error('the configuration is read before the app is built');
    // The dashboard reads the local registry (TRELLIS_REGISTRY_DIR) through resolvers of its own.
    const registry = new LocalRegistry();
    const dashboard = dashboardRoutes({
      discovery: registry,
      services: config.dashboardServices,
      logger: parts.logger.child({ component: 'dashboard' }),
      ...(config.launcherUrl ? { launcherUrl: config.launcherUrl } : {}),
    });
    // Shutdown hooks run once in-flight requests end, which open event streams never do: end
    // the streams on the signal that starts the drain, and close the registry at the end.
    const stopDashboard = (): void => dashboard.close();
    process.once('SIGTERM', stopDashboard);
    process.once('SIGINT', stopDashboard);
    lifecycle.onShutdown(() => registry.close());
    return buildApp({ ...parts, dashboard });
  },
});
