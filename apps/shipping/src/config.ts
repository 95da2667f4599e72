import { parseEnv, serviceConfig, serviceEnvShape, type ServiceConfig } from '@trellis/shop-kit';
import { z } from 'zod';

export type ShippingConfig = ServiceConfig;

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ShippingConfig {
  return serviceConfig(parseEnv(z.object(serviceEnvShape), env));
}
