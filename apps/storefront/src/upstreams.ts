import type { MeshOptions } from '@trellis/mesh';

/**
 * The storefront's mesh settings per upstream: a user's cart calls go to one cart replica (the
 * one that holds the cart in memory); everything else uses the default peak-EWMA balancer.
 */
export const STOREFRONT_UPSTREAMS = {
  cart: { balancer: 'consistent-hash' },
} satisfies MeshOptions['upstreams'];

/**
 * Time for each call, retries included. Generous, so the mesh has room to retry elsewhere when a
 * replica is slow or failing; a checkout runs several calls of its own.
 */
export const CALL_TIMEOUT_MS = {
  catalog: 5_000,
  cart: 5_000,
  checkout: 10_000,
} as const;
