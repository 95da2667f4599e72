import { expectConfigError, LOCAL_SERVICE_CONFIG } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run', () => {
    expect(loadConfig({})).toEqual(LOCAL_SERVICE_CONFIG);
  });

  it('reads the shared variables', () => {
    expect(loadConfig({ PORT: '8080', REPLICA: 'checkout-2', ERROR_RATE: '0.5' })).toMatchObject({
      port: 8080,
      replica: 'checkout-2',
      knobs: { errorRate: 0.5 },
    });
  });

  it.each([
    ['PORT', '70000'],
    ['ERROR_RATE', '1.5'],
    ['HANG', 'yes'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value);
  });
});
