import { describe, expect, it } from 'vitest';
import { expectConfigError } from '@trellis/shop-kit/testing';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults for a local run', () => {
    expect(loadConfig({})).toEqual({
      port: 0,
      host: '127.0.0.1',
      zone: undefined,
      knobs: { latencyMs: 0, errorRate: 0, hang: false },
      drainDelayMs: 5_000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      ZONE: 'a',
      LATENCY_MS: '300',
      ERROR_RATE: '0.5',
      HANG: 'true',
      DRAIN_DELAY_MS: '100',
    });
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      zone: 'a',
      knobs: { latencyMs: 300, errorRate: 0.5, hang: true },
      drainDelayMs: 100,
    });
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', 'eighty'],
    ['LATENCY_MS', '-5'],
    ['ERROR_RATE', '1.5'],
    ['HANG', 'yes'],
    ['DRAIN_DELAY_MS', '1e9'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expectConfigError(() => loadConfig({ [variable]: value }), variable, value);
  });
});
