import {
  parseEnv,
  redisUrlEnv,
  serviceConfig,
  serviceEnvShape,
  type ServiceConfig,
} from '@trellis/shop-kit';
import { z } from 'zod';

export interface CartConfig extends ServiceConfig {
  /** Where carts live when shared by the replicas; unset keeps them in each replica's memory. */
  redisUrl: string | undefined;
}

const cartEnv = z.object({
  ...serviceEnvShape,
  REDIS_URL: redisUrlEnv,
});

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CartConfig {
  const parsed = parseEnv(cartEnv, env);
  return { ...serviceConfig(parsed), redisUrl: parsed.REDIS_URL };
}
