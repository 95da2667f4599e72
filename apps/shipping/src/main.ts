// Starts one shipping replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig, type ShippingConfig } from './config.js';
import { ShippingDesk } from './shipping-desk.js';

// runService reads the environment (exiting 2 on a wrong value) before it builds the app.
let config: ShippingConfig | undefined;

void runService({
  service: 'shipping',
  loadConfig: (env) => (config = loadConfig(env)),
  buildApp: (parts) =>
    buildApp({ ...parts, desk: new ShippingDesk({ secret: config!.quoteSecret }) }),
});
