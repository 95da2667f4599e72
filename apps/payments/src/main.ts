// Starts one payments replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { ChargeLedger } from './charge-ledger.js';

void runService({
  service: 'payments',
  buildApp: (parts) => buildApp({ ...parts, ledger: new ChargeLedger() }),
});
