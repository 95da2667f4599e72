// Starts one checkout replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { OrderBook } from './order-book.js';

void runService({
  service: 'checkout',
  loadConfig,
  // Every caller sends a user's cart requests to the same cart replica.
  upstreams: { cart: { balancer: 'consistent-hash' } },
  buildApp: (parts) => buildApp({ ...parts, orders: new OrderBook() }),
});
