import { expectConfigError } from '@trellis/shop-kit/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run: 5 journeys per second, mostly browsing', () => {
    expect(loadConfig({})).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      rps: 5,
      mix: { browse: 70, cart: 20, checkout: 10 },
      maxInFlight: 100,
      users: 100,
      drainDelayMs: 5_000,
    });
  });

  it('reads the load variables', () => {
    expect(
      loadConfig({
        LOAD_RPS: '0.5',
        LOAD_MIX: 'checkout=1',
        LOAD_MAX_IN_FLIGHT: '8',
        LOAD_USERS: '3',
        REPLICA: 'loadgen-1',
      }),
    ).toMatchObject({
      rps: 0.5,
      mix: { browse: 0, cart: 0, checkout: 1 },
      maxInFlight: 8,
      users: 3,
      replica: 'loadgen-1',
    });
    expect(loadConfig({ LOAD_RPS: '0' }).rps).toBe(0);
  });

  it.each([
    ['LOAD_RPS', 'fast', /expected number/],
    ['LOAD_RPS', '-1', /use 0 \(paused\) to 1000/],
    ['LOAD_RPS', '1001', /use 0 \(paused\) to 1000/],
    ['LOAD_MIX', 'browse=70,search=30', /"search" is not a journey/],
    ['LOAD_MIX', 'browse', /"browse" is not kind=weight/],
    ['LOAD_MAX_IN_FLIGHT', '0', /Too small/],
    ['LOAD_USERS', 'many', /expected number/],
    ['ERROR_RATE', '2', /Too big/],
  ])('throws ConfigError naming %s when it is %j', (variable, value, problem) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value, problem);
  });
});
