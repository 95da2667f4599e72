// Starts one payments replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig, type PaymentsConfig } from './config.js';
import { createChargeLedger } from './create-charge-ledger.js';

// runService reads the environment (exiting 2 on a wrong value) before it builds the app.
let config: PaymentsConfig | undefined;

void runService({
  service: 'payments',
  loadConfig: (env) => (config = loadConfig(env)),
  buildApp: (parts, lifecycle) => {
    const ledger = createChargeLedger(config!, parts.logger);
    lifecycle.onShutdown(() => ledger.close());
    return buildApp({ ...parts, ledger });
  },
});
