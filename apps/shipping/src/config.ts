import { parseEnv, serviceConfig, serviceEnvShape, type ServiceConfig } from '@trellis/shop-kit';
import { z } from 'zod';

/** Signs quotes and derives tracking numbers on a developer's machine; set your own in production. */
export const DEVELOPMENT_QUOTE_SECRET = 'trellis-shipping-development-secret';

export interface ShippingConfig extends ServiceConfig {
  /** Shared by every replica, so any of them accepts a quote another one signed. */
  quoteSecret: string;
}

const shippingEnv = z.object({
  ...serviceEnvShape,
  QUOTE_SECRET: z
    .string()
    .min(16, 'use at least 16 characters, the same on every replica')
    .default(DEVELOPMENT_QUOTE_SECRET),
});

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ShippingConfig {
  const parsed = parseEnv(shippingEnv, env);
  return { ...serviceConfig(parsed), quoteSecret: parsed.QUOTE_SECRET };
}
