import { loadSharedStateConfig, type SharedStateConfig } from '@trellis/shop-kit';

/** The shared variables and `REDIS_URL`: with it, carts live in Redis for every replica. */
export type CartConfig = SharedStateConfig;

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CartConfig {
  return loadSharedStateConfig(env);
}
