import { expectConfigError, LOCAL_SERVICE_CONFIG } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_QUOTE_SECRET, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run, with the development quote secret', () => {
    expect(loadConfig({})).toEqual({
      ...LOCAL_SERVICE_CONFIG,
      quoteSecret: DEVELOPMENT_QUOTE_SECRET,
    });
  });

  it('reads QUOTE_SECRET beside the shared variables', () => {
    const config = loadConfig({
      PORT: '8080',
      REPLICA: 'shipping-2',
      QUOTE_SECRET: 's'.repeat(16),
    });
    expect(config).toMatchObject({
      port: 8080,
      replica: 'shipping-2',
      quoteSecret: 'ssssssssssssssss',
    });
  });

  it.each([
    ['QUOTE_SECRET', 'short'],
    ['QUOTE_SECRET', ''],
    ['PORT', 'eighty'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value);
  });

  it('says how long the secret must be', () => {
    expect(() => loadConfig({ QUOTE_SECRET: 'short' })).toThrow(/at least 16 characters/);
  });
});
