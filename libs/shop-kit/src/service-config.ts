import { z } from 'zod';
import type { KnobSettings } from './knobs.js';

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

/** The variables every shop service reads: where to listen, its zone, its knobs and its drain. */
export const serviceEnvShape = {
  PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  HOST: z.string().min(1).default('127.0.0.1'),
  ZONE: z.string().min(1).optional(),
  REPLICA: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and dashes, like "catalog-2"')
    .optional(),
  LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  HANG: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(5_000),
};

function isRedisUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
}

/**
 * `REDIS_URL` for services whose state the replicas may share: a redis:// or rediss:// URL, or
 * unset (an empty value counts as unset, as container env files often leave it).
 */
export const redisUrlEnv = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .refine(isRedisUrl, 'use a redis:// or rediss:// URL, like "redis://127.0.0.1:6379"')
    .optional(),
);

export interface ServiceConfig {
  port: number;
  host: string;
  zone: string | undefined;
  /** The replica's name in the launcher and the dashboard (registered as metadata `replica`). */
  replica: string | undefined;
  knobs: KnobSettings;
  drainDelayMs: number;
}

/** Parses the environment with `schema`; the first wrong variable throws ConfigError naming it. */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const variable = String(issue.path[0]);
  throw new ConfigError(variable, `is ${JSON.stringify(env[variable])}: ${issue.message}`);
}

/** The common part of a service's config, from variables parsed with `serviceEnvShape`. */
export function serviceConfig(value: z.infer<z.ZodObject<typeof serviceEnvShape>>): ServiceConfig {
  return {
    port: value.PORT,
    host: value.HOST,
    zone: value.ZONE,
    replica: value.REPLICA,
    knobs: { latencyMs: value.LATENCY_MS, errorRate: value.ERROR_RATE, hang: value.HANG },
    drainDelayMs: value.DRAIN_DELAY_MS,
  };
}

/** The config of a service that reads only the shared variables. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return serviceConfig(parseEnv(z.object(serviceEnvShape), env));
}

/** The config of a service whose state the replicas may share in Redis. */
export interface SharedStateConfig extends ServiceConfig {
  /** Where the state lives when shared by the replicas; unset keeps it in each replica's memory. */
  redisUrl: string | undefined;
}

/** The shared variables plus `REDIS_URL`. */
export function loadSharedStateConfig(env: NodeJS.ProcessEnv = process.env): SharedStateConfig {
  const parsed = parseEnv(z.object({ ...serviceEnvShape, REDIS_URL: redisUrlEnv }), env);
  return { ...serviceConfig(parsed), redisUrl: parsed.REDIS_URL };
}
