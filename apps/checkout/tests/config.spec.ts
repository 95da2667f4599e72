import { ConfigError } from '@trellis/shop-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run', () => {
    expect(loadConfig({})).toEqual({
      port: 0,
      host: '127.0.0.1',
      zone: undefined,
      replica: undefined,
      knobs: { latencyMs: 0, errorRate: 0, hang: false },
      drainDelayMs: 5_000,
    });
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
    const load = (): unknown => loadConfig({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${variable} is "${value.replace('.', '\\.')}"`));
  });
});
