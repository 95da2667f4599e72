import { expectConfigError, LOCAL_SERVICE_CONFIG } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('keeps the ledger in memory unless REDIS_URL is set', () => {
    expect(loadConfig({})).toEqual({ ...LOCAL_SERVICE_CONFIG, redisUrl: undefined });
    // An empty value, as env files often leave it, is the same as unset.
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it.each([
    'redis://127.0.0.1:6379',
    'redis://:secret@redis.shop.svc:6379/2',
    'rediss://cache.example.com:6380',
  ])('reads REDIS_URL %s', (url) => {
    expect(loadConfig({ REDIS_URL: url, PORT: '8080', REPLICA: 'payments-2' })).toMatchObject({
      redisUrl: url,
      port: 8080,
      replica: 'payments-2',
    });
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', '127.0.0.1:6379'],
    ['REDIS_URL', 'redis://'],
    ['PORT', 'eighty'],
    ['ERROR_RATE', '1.5'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value);
  });

  it('says what a right REDIS_URL looks like', () => {
    expect(() => loadConfig({ REDIS_URL: 'localhost' })).toThrow(
      /REDIS_URL is "localhost": use a redis:\/\/ or rediss:\/\/ URL/,
    );
  });
});
