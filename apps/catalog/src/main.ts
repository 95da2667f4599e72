// Starts one catalog replica.
import { runService } from '@trellis/shop-kit';
import { buildApp } from './app.js';
import { CatalogStore } from './catalog-store.js';
import { loadConfig } from './config.js';
import { seedProducts } from './products.js';

void runService({
  service: 'catalog',
  loadConfig,
  buildApp: (parts) => buildApp({ ...parts, store: new CatalogStore(seedProducts()) }),
});
