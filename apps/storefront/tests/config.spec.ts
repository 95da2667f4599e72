import { expectConfigError, LOCAL_SERVICE_CONFIG } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run: the dashboard follows the whole shop, without a launcher', () => {
    expect(loadConfig({})).toEqual({
      ...LOCAL_SERVICE_CONFIG,
      dashboardServices: [
        'storefront',
        'catalog',
        'cart',
        'checkout',
        'payments',
        'shipping',
        'loadgen',
      ],
      launcherUrl: undefined,
    });
  });

  it('reads the shared variables and its own', () => {
    const config = loadConfig({
      PORT: '3000',
      REPLICA: 'storefront-2',
      DRAIN_DELAY_MS: '100',
      DASHBOARD_SERVICES: ' catalog, cart ,checkout ',
      TRELLIS_LAUNCHER_URL: 'http://127.0.0.1:41000',
    });
    expect(config).toMatchObject({
      port: 3000,
      replica: 'storefront-2',
      drainDelayMs: 100,
      dashboardServices: ['catalog', 'cart', 'checkout'],
      launcherUrl: 'http://127.0.0.1:41000',
    });
  });

  it.each([
    ['DASHBOARD_SERVICES', 'Catalog', /service names are lower-case/],
    ['DASHBOARD_SERVICES', ',,', /name at least one service/],
    ['DASHBOARD_SERVICES', 'cart,cart', /a service is listed twice/],
    ['TRELLIS_LAUNCHER_URL', 'ftp://127.0.0.1:41000', /an http URL/],
    ['TRELLIS_LAUNCHER_URL', 'localhost:41000', /an http URL/],
    ['TRELLIS_LAUNCHER_URL', '', /an http URL/],
    ['PORT', 'eighty', /PORT/],
  ])('fails fast naming %s when it is %j', (variable, value, problem) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value, problem);
  });
});
