import { expect } from 'vitest';
import { ConfigError, type ServiceConfig } from '../service-config.js';

/** What every service's config is for an empty environment: a local run's defaults. */
export const LOCAL_SERVICE_CONFIG: ServiceConfig = {
  port: 0,
  host: '127.0.0.1',
  zone: undefined,
  replica: undefined,
  knobs: { latencyMs: 0, errorRate: 0, hang: false },
  drainDelayMs: 5_000,
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Asserts that `load` fails fast on `variable`: it throws a ConfigError naming the variable,
 * whose message starts `<variable> is "<value>"` and matches `problem` when one is given.
 */
export function expectConfigError(
  load: () => unknown,
  variable: string,
  value: string,
  problem?: RegExp | string,
): void {
  let thrown: unknown;
  try {
    load();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.variable).toBe(variable);
  expect(error.message).toMatch(
    new RegExp(`^${escapeRegExp(`${variable} is ${JSON.stringify(value)}`)}`),
  );
  if (problem !== undefined) expect(error.message).toMatch(problem);
}
