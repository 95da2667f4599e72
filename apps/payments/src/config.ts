import { loadSharedStateConfig, type SharedStateConfig } from '@trellis/shop-kit';

/** The shared variables and `REDIS_URL`: with it, the charge ledger lives in Redis for every replica. */
export type PaymentsConfig = SharedStateConfig;

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaymentsConfig {
  return loadSharedStateConfig(env);
}
