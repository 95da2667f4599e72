import { ConfigError } from '@trellis/shop-kit';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_QUOTE_SECRET, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run, with the development quote secret', () => {
    expect(loadConfig({})).toEqual({
      port: 0,
      host: '127.0.0.1',
      zone: undefined,
      replica: undefined,
      knobs: { latencyMs: 0, errorRate: 0, hang: false },
      drainDelayMs: 5_000,
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
    const load = (): unknown => loadConfig({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${variable} is "${value}"`));
  });

  it('says how long the secret must be', () => {
    expect(() => loadConfig({ QUOTE_SECRET: 'short' })).toThrow(/at least 16 characters/);
  });
});
