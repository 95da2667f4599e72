import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  loadSharedStateConfig,
  parseEnv,
  redisUrlEnv,
  serviceConfig,
  serviceEnvShape,
} from '../src/index.js';
import { expectConfigError, LOCAL_SERVICE_CONFIG } from '../src/testing/index.js';

describe('parseEnv', () => {
  const schema = z.object({
    ...serviceEnvShape,
    PAYMENT_LIMIT_CENTS: z.coerce.number().int().positive().default(100),
  });

  it("returns typed values with defaults, for the shared variables and a service's own", () => {
    const value = parseEnv(schema, { PORT: '9000', PAYMENT_LIMIT_CENTS: '500' });
    expect(value.PORT).toBe(9000);
    expect(value.PAYMENT_LIMIT_CENTS).toBe(500);
    expect(serviceConfig(value)).toEqual({
      port: 9000,
      host: '127.0.0.1',
      zone: undefined,
      replica: undefined,
      knobs: { latencyMs: 0, errorRate: 0, hang: false },
      drainDelayMs: 5_000,
    });
  });

  it.each([
    ['PORT', '-1'],
    ['HOST', ''],
    ['ERROR_RATE', 'NaN'],
    ['PAYMENT_LIMIT_CENTS', '0'],
    ['REPLICA', 'Catalog 2'],
  ])('throws ConfigError naming %s when it is %j', (variable, value) => {
    const parse = (): unknown => parseEnv(schema, { [variable]: value });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(expect.objectContaining({ variable }));
    expect(parse).toThrow(
      new RegExp(`^${variable} is ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}: `),
    );
  });
});

describe('redisUrlEnv', () => {
  const schema = z.object({ REDIS_URL: redisUrlEnv });

  it('is unset when the variable is missing or empty (as env files often leave it)', () => {
    expect(parseEnv(schema, {}).REDIS_URL).toBeUndefined();
    expect(parseEnv(schema, { REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });

  it.each([
    'redis://127.0.0.1:6379',
    'redis://:secret@redis.shop.svc:6379/2',
    'rediss://cache.example.com:6380',
  ])('takes %s', (url) => {
    expect(parseEnv(schema, { REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it.each(['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis://', 'localhost'])(
    'refuses %j, saying what a right one looks like',
    (value) => {
      expect(() => parseEnv(schema, { REDIS_URL: value })).toThrow(
        new RegExp(
          `^REDIS_URL is ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}: use a redis:// or rediss:// URL`,
        ),
      );
    },
  );
});

// Cart and payments read their config with it: the state lives in each replica or in Redis.
describe('loadSharedStateConfig', () => {
  it('keeps the state in memory unless REDIS_URL is set', () => {
    expect(loadSharedStateConfig({})).toEqual({ ...LOCAL_SERVICE_CONFIG, redisUrl: undefined });
    // An empty value, as env files often leave it, is the same as unset.
    expect(loadSharedStateConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('reads REDIS_URL beside the shared variables', () => {
    expect(
      loadSharedStateConfig({
        REDIS_URL: 'redis://127.0.0.1:6379',
        PORT: '8080',
        REPLICA: 'cart-2',
      }),
    ).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', port: 8080, replica: 'cart-2' });
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['PORT', 'eighty'],
    ['ERROR_RATE', '1.5'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadSharedStateConfig({ [variable]: value }), variable, value);
  });
});
