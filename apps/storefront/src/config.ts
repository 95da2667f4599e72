import { parseEnv, serviceConfig, serviceEnvShape, type ServiceConfig } from '@trellis/shop-kit';
import { z } from 'zod';

/** The services the dashboard shows when `DASHBOARD_SERVICES` is not set: the whole shop. */
export const DEFAULT_DASHBOARD_SERVICES = [
  'storefront',
  'catalog',
  'cart',
  'checkout',
  'payments',
  'shipping',
  'loadgen',
] as const;

export interface StorefrontConfig extends ServiceConfig {
  /** The services the live dashboard follows, in the order it shows them. */
  dashboardServices: string[];
  /** The launcher's control API, when the shop runs under the launcher (chaos buttons use it). */
  launcherUrl: string | undefined;
}

const serviceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'service names are lower-case letters, digits and dashes');

const dashboardServices = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0),
  )
  .pipe(
    z
      .array(serviceName)
      .min(1, 'name at least one service, like "catalog,cart"')
      .max(20, 'at most 20 services')
      .refine((names) => new Set(names).size === names.length, 'a service is listed twice'),
  );

const httpUrl = z.string().refine((value) => {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}, 'an http URL such as "http://127.0.0.1:4000"');

const storefrontEnv = z.object({
  ...serviceEnvShape,
  DASHBOARD_SERVICES: dashboardServices.default([...DEFAULT_DASHBOARD_SERVICES]),
  TRELLIS_LAUNCHER_URL: httpUrl.optional(),
});

/** Reads the storefront's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StorefrontConfig {
  const parsed = parseEnv(storefrontEnv, env);
  return {
    ...serviceConfig(parsed),
    dashboardServices: parsed.DASHBOARD_SERVICES,
    launcherUrl: parsed.TRELLIS_LAUNCHER_URL,
  };
}
