/** The shop's services, in the order `status` lists them. */
export const SERVICES = [
  'storefront',
  'catalog',
  'cart',
  'checkout',
  'payments',
  'shipping',
  'loadgen',
] as const;

export type Service = (typeof SERVICES)[number];

/** Replicas per service on `npm start`. */
export const DEFAULT_REPLICAS: Readonly<Record<Service, number>> = {
  storefront: 2,
  catalog: 3,
  cart: 2,
  checkout: 2,
  payments: 2,
  shipping: 2,
  loadgen: 1,
};

/** The most replicas of one service the launcher runs (and `scale` accepts). */
export const MAX_REPLICAS = 10;

/**
 * Start order: every service the storefront calls and the storefront itself together (callers wait
 * for discovery), then the loadgen, which would only fail while the storefront is not up.
 */
export const START_STAGES: readonly (readonly Service[])[] = [
  ['catalog', 'cart', 'checkout', 'payments', 'shipping', 'storefront'],
  ['loadgen'],
];

/** Stop order: the traffic first, then the edge, then the rest, so nothing calls a stopped service. */
export const STOP_STAGES: readonly (readonly Service[])[] = [
  ['loadgen'],
  ['storefront'],
  ['catalog', 'cart', 'checkout', 'payments', 'shipping'],
];

export function isService(value: string): value is Service {
  return (SERVICES as readonly string[]).includes(value);
}

export function replicaName(service: Service, index: number): string {
  return `${service}-${index}`;
}

/** `catalog-2` -> `{ service: 'catalog', index: 2 }`; undefined when it is not a replica name. */
export function parseReplicaName(name: string): { service: Service; index: number } | undefined {
  const match = /^([a-z]+)-([1-9]\d?)$/.exec(name);
  if (!match || !isService(match[1]!)) return undefined;
  return { service: match[1], index: Number(match[2]) };
}
