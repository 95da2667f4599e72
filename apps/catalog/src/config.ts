import { z } from 'zod';

/** Thrown at start-up when an environment variable is wrong; names the variable and the fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const fraction = z.coerce.number().min(0).max(1);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  HOST: z.string().min(1).default('127.0.0.1'),
  ZONE: z.string().min(1).optional(),
  LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  ERROR_RATE: fraction.default(0),
  HANG: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(5_000),
});

export type CatalogConfig = {
  port: number;
  host: string;
  zone: string | undefined;
  knobs: { latencyMs: number; errorRate: number; hang: boolean };
  drainDelayMs: number;
};

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    throw new ConfigError(variable, `is ${JSON.stringify(env[variable])}: ${issue.message}`);
  }
  const value = parsed.data;
  return {
    port: value.PORT,
    host: value.HOST,
    zone: value.ZONE,
    knobs: { latencyMs: value.LATENCY_MS, errorRate: value.ERROR_RATE, hang: value.HANG },
    drainDelayMs: value.DRAIN_DELAY_MS,
  };
}
