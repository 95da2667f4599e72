// Starts one shipping replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { ShippingDesk } from './shipping-desk.js';

void runService({
  service: 'shipping',
  buildApp: (parts) => buildApp({ ...parts, desk: new ShippingDesk() }),
});
