import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv, serviceConfig, serviceEnvShape } from '../src/index.js';

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
