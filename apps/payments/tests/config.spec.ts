import { expectConfigError, LOCAL_SERVICE_CONFIG } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('keeps the ledger in memory unless REDIS_URL is set', () => {
    expect(loadConfig({})).toEqual({ ...LOCAL_SERVICE_CONFIG, redisUrl: undefined });
    // An empty value, as env files often leave it, is the same as unset.
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  // Which URLs pass is redisUrlEnv's business (shop-kit's tests); here: that it is wired in.
  it('reads REDIS_URL beside the shared variables', () => {
    expect(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', PORT: '8080', REPLICA: 'payments-2' }),
    ).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', port: 8080, replica: 'payments-2' });
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['PORT', 'eighty'],
    ['ERROR_RATE', '1.5'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value);
  });
});
