import {
  parseEnv,
  redisUrlEnv,
  serviceConfig,
  serviceEnvShape,
  type ServiceConfig,
} from '@trellis/shop-kit';
import { z } from 'zod';

export interface PaymentsConfig extends ServiceConfig {
  /** Where the charge ledger lives when shared by the replicas; unset keeps it in each replica's memory. */
  redisUrl: string | undefined;
}

const paymentsEnv = z.object({
  ...serviceEnvShape,
  REDIS_URL: redisUrlEnv,
});

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaymentsConfig {
  const parsed = parseEnv(paymentsEnv, env);
  return { ...serviceConfig(parsed), redisUrl: parsed.REDIS_URL };
}
