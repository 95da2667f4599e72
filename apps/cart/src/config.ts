import { parseEnv, serviceConfig, serviceEnvShape, type ServiceConfig } from '@trellis/shop-kit';
import { z } from 'zod';

export interface CartConfig extends ServiceConfig {
  /** Where carts live when shared by the replicas; unset keeps them in each replica's memory. */
  redisUrl: string | undefined;
}

function isRedisUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
}

const cartEnv = z.object({
  ...serviceEnvShape,
  // An empty value counts as unset, as container env files often leave it.
  REDIS_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .refine(isRedisUrl, 'use a redis:// or rediss:// URL, like "redis://127.0.0.1:6379"')
      .optional(),
  ),
});

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CartConfig {
  const parsed = parseEnv(cartEnv, env);
  return { ...serviceConfig(parsed), redisUrl: parsed.REDIS_URL };
}
