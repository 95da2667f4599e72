/** One address a service can be reached at, as discovery reports it. */
export interface Endpoint {
  /** IPv4 or IPv6 address, or a host name. */
  readonly address: string;
  readonly port: number;
  /** Relative share of traffic for weight-aware balancers; default 1. */
  readonly weight?: number;
  /** Topology zone (e.g. `topology.kubernetes.io/zone`) for zone-preferring balancing. */
  readonly zone?: string;
  /** True while the instance is shutting down: it gets no new requests while others can serve. */
  readonly draining?: boolean;
  /** Free-form labels such as `version`, used by weighted (canary) balancing. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Stable identity of an endpoint across updates: `address:port` (IPv6 in brackets). */
export function endpointKey(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return endpoint.address.includes(':')
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

/** The origin undici connects to for an endpoint. */
export function endpointOrigin(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  return `http://${endpointKey(endpoint)}`;
}

/** Whether two endpoint descriptions differ in anything a balancer cares about. */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return (
    a.address === b.address &&
    a.port === b.port &&
    (a.weight ?? 1) === (b.weight ?? 1) &&
    a.zone === b.zone &&
    Boolean(a.draining) === Boolean(b.draining) &&
    JSON.stringify(a.metadata ?? {}) === JSON.stringify(b.metadata ?? {})
  );
}
