import { createBalancer } from './balancers/index.js';
import type { Balancer, BalancerSpec } from './balancers/balancer.js';
import { ServiceClient } from './client.js';
import { monotonicClock, type Clock, type RandomSource } from './clock.js';
import type { Endpoint } from './endpoint.js';
import { MeshConfigError } from './errors.js';
import { stderrLogger, type MeshLogger } from './logger.js';
import { LocalRegistry } from './resolvers/local-registry.js';
import type { Discovery, Resolver } from './resolvers/resolver.js';
import { envDiscovery, parseEndpointList, StaticResolver } from './resolvers/static.js';
import { defaultPoolOptions } from './transport/endpoint-pools.js';
import { Upstream, type EndpointSnapshot } from './upstream.js';

/** How the mesh treats one upstream; every field has a default. */
export interface UpstreamOptions {
  /** Load-balancing strategy: a name or `{ name, ...options }`. Default `peak-ewma`. */
  balancer?: BalancerSpec;
  /** Time for a whole call when the call sets none, in ms. Default 10 000. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  connectionsPerEndpoint?: number;
  keepAliveTimeoutMs?: number;
  /** Peak-EWMA decay, in ms. Default 10 000. */
  ewmaDecayMs?: number;
  /** Latency assumed for an endpoint before its first response, in ms. Default 30. */
  defaultRttMs?: number;
  /** A failed attempt counts as at least this much latency, in ms. Default 1 000. */
  failurePenaltyMs?: number;
  /** How long a call waits for discovery to list a first endpoint, in ms. Default 2 000. */
  discoveryWaitMs?: number;
}

export interface UpstreamConfig extends UpstreamOptions {
  /** Fixed endpoints (`host:port,...` or objects) instead of discovery. */
  endpoints?: string | readonly Endpoint[];
  /** A resolver of your own instead of discovery. */
  resolver?: Resolver;
}

export interface MeshOptions {
  /**
   * Where endpoints come from, asked in order for each upstream. Default: `TRELLIS_UPSTREAM_<NAME>`
   * variables, then the local registry.
   */
  discovery?: Discovery | readonly Discovery[];
  /** Options for every upstream, overridden per upstream by `upstreams`. */
  defaults?: UpstreamOptions;
  upstreams?: Record<string, UpstreamConfig>;
  logger?: MeshLogger;
  clock?: Clock;
  random?: RandomSource;
}

export interface UpstreamSnapshot {
  readonly name: string;
  readonly resolver: string;
  readonly balancer: string;
  readonly endpoints: EndpointSnapshot[];
}

const SERVICE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** The process's mesh: creates one client per upstream on demand and owns their resources. */
export class Mesh {
  readonly #upstreams = new Map<string, { upstream: Upstream; client: ServiceClient }>();
  readonly #discoveries: readonly Discovery[];
  readonly #ownedDiscoveries: Discovery[] = [];
  readonly #logger: MeshLogger;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  #closed = false;

  constructor(private readonly options: MeshOptions = {}) {
    this.#logger = options.logger ?? stderrLogger;
    this.#clock = options.clock ?? monotonicClock;
    this.#random = options.random ?? Math.random;
    if (options.discovery) {
      this.#discoveries = Array.isArray(options.discovery)
        ? [...options.discovery]
        : [options.discovery as Discovery];
    } else {
      const registry = new LocalRegistry({ logger: this.#logger });
      this.#ownedDiscoveries.push(registry);
      this.#discoveries = [envDiscovery(), registry];
    }
    // Fail at startup, not at the first call: check every configured upstream now.
    validateUpstreamOptions('defaults', options.defaults ?? {});
    for (const [name, config] of Object.entries(options.upstreams ?? {})) {
      const merged = { ...options.defaults, ...config };
      validateUpstreamOptions(`upstreams.${name}`, merged);
      this.#balancerFor(name, merged);
      if (typeof config.endpoints === 'string')
        parseEndpointList(config.endpoints, `upstreams.${name}.endpoints`);
    }
  }

  /** The client for an upstream service; cheap to call again, it returns the same client. */
  client(service: string): ServiceClient {
    const existing = this.#upstreams.get(service);
    if (existing) return existing.client;
    if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
      throw new MeshConfigError(
        'ERR_INVALID_SERVICE_NAME',
        `Invalid upstream service name ${JSON.stringify(service)}`,
        {
          advice: 'use a DNS-style name: lowercase letters, digits, "-" and ".", e.g. "catalog"',
        },
      );
    }
    const config: UpstreamConfig = {
      ...this.options.defaults,
      ...this.options.upstreams?.[service],
    };
    const resolver = this.#resolverFor(service, config);
    const balancer = this.#balancerFor(service, config);
    const upstream = new Upstream(service, resolver, balancer, {
      clock: this.#clock,
      logger: this.#logger,
      ewmaDecayMs: config.ewmaDecayMs ?? 10_000,
      defaultRttMs: config.defaultRttMs ?? 30,
      pool: {
        connectionsPerEndpoint:
          config.connectionsPerEndpoint ?? defaultPoolOptions.connectionsPerEndpoint,
        connectTimeoutMs: config.connectTimeoutMs ?? defaultPoolOptions.connectTimeoutMs,
        keepAliveTimeoutMs: config.keepAliveTimeoutMs ?? defaultPoolOptions.keepAliveTimeoutMs,
      },
    });
    const client = new ServiceClient(upstream, {
      timeoutMs: config.timeoutMs ?? 10_000,
      failurePenaltyMs: config.failurePenaltyMs ?? 1_000,
      discoveryWaitMs: config.discoveryWaitMs ?? 2_000,
      clock: this.#clock,
      isClosed: () => this.#closed,
    });
    this.#upstreams.set(service, { upstream, client });
    return client;
  }

  /** What the mesh knows right now, per upstream (for admin views and dashboards). */
  snapshot(): UpstreamSnapshot[] {
    return [...this.#upstreams.values()].map(({ upstream }) => ({
      name: upstream.name,
      resolver: upstream.resolver.description,
      balancer: upstream.balancer.name,
      endpoints: upstream.snapshot(),
    }));
  }

  /** Stops discovery and closes every pool after its in-flight requests (or at once with `force`). */
  async close(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const upstreams = [...this.#upstreams.values()];
    await Promise.all(upstreams.map(({ upstream }) => upstream.close(options.force)));
    await Promise.all(upstreams.map(({ upstream }) => upstream.resolver.close()));
    await Promise.all(this.#ownedDiscoveries.map((discovery) => discovery.close?.()));
  }

  #balancerFor(service: string, config: UpstreamOptions): Balancer {
    return createBalancer(config.balancer ?? 'peak-ewma', {
      upstream: service,
      clock: this.#clock,
      random: this.#random,
    });
  }

  #resolverFor(service: string, config: UpstreamConfig): Resolver {
    if (config.resolver) return config.resolver;
    if (config.endpoints !== undefined) {
      const endpoints =
        typeof config.endpoints === 'string'
          ? parseEndpointList(config.endpoints, `upstreams.${service}.endpoints`)
          : config.endpoints;
      return new StaticResolver(endpoints, `static:${service}`);
    }
    for (const discovery of this.#discoveries) {
      const resolver = discovery.resolverFor(service);
      if (resolver) return resolver;
    }
    throw new MeshConfigError('ERR_NO_DISCOVERY', `No discovery knows upstream "${service}"`, {
      upstream: service,
      advice: `set TRELLIS_UPSTREAM_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}, give upstreams.${service}.endpoints, or add a discovery that covers it`,
    });
  }
}

function validateUpstreamOptions(where: string, options: UpstreamOptions): void {
  const positive: (keyof UpstreamOptions)[] = [
    'timeoutMs',
    'connectTimeoutMs',
    'connectionsPerEndpoint',
    'keepAliveTimeoutMs',
    'ewmaDecayMs',
    'defaultRttMs',
  ];
  for (const key of positive) {
    const value = options[key];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    ) {
      throw new MeshConfigError(
        'ERR_INVALID_UPSTREAM_OPTIONS',
        `${where}.${key} is ${JSON.stringify(value)}`,
        {
          advice: `set ${key} to a positive number`,
        },
      );
    }
  }
  for (const key of ['failurePenaltyMs', 'discoveryWaitMs'] as const) {
    const value = options[key];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    ) {
      throw new MeshConfigError(
        'ERR_INVALID_UPSTREAM_OPTIONS',
        `${where}.${key} is ${JSON.stringify(value)}`,
        {
          advice: `set ${key} to a number >= 0`,
        },
      );
    }
  }
}

/** Creates the process's mesh. Create one per process and close it on shutdown. */
export function createMesh(options: MeshOptions = {}): Mesh {
  return new Mesh(options);
}
