// Starts one cart replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig, type CartConfig } from './config.js';
import { createCartStore } from './create-cart-store.js';

// runService reads the environment (exiting 2 on a wrong value) before it builds the app.
let config: CartConfig | undefined;

void runService({
  service: 'cart',
  loadConfig: (env) => (config = loadConfig(env)),
  buildApp: (parts, lifecycle) => {
    const store = createCartStore(config!, parts.logger);
    lifecycle.onShutdown(() => store.close());
    return buildApp({ ...parts, store });
  },
});
