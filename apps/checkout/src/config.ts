import { loadServiceConfig, type ServiceConfig } from '@trellis/shop-kit';

export type CheckoutConfig = ServiceConfig;

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CheckoutConfig {
  return loadServiceConfig(env);
}
