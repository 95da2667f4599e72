import type { CallTotals } from './telemetry/call-stats.js';
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
import { MeshEventLog, type MeshEvent, type MeshEventListener } from './events.js';
import {
  FaultInjector,
  parseFaultSpec,
  type FaultInjectionOptions,
} from './fault/fault-injection.js';
import type { ActiveHealthCheckOptions } from './health/active-health-checker.js';
import {
  DEFAULT_PANIC_THRESHOLD_PERCENT,
  validatePanicThresholdPercent,
  type OutlierDetectionOptions,
} from './health/outlier-detector.js';
import { resolveBackoffOptions, type BackoffOptions } from './resilience/backoff.js';
import { Bulkhead } from './resilience/bulkhead.js';
import { LatencyWindow } from './resilience/latency-window.js';
import { RetryBudget, type RetryBudgetOptions } from './resilience/retry-budget.js';
import {
  UpstreamBreaker,
  type BreakerOptions,
  type BreakerState,
} from './resilience/upstream-breaker.js';
import {
  InvalidRequestError,
  MeshClosedError,
  OverloadedError,
  RequestAbortedError,
} from './errors.js';
import { DeadlineExceededError } from './deadline/deadline.js';
import { defaultPoolOptions } from './transport/endpoint-pools.js';
import { MeshMetrics } from './telemetry/mesh-metrics.js';
import type { Registry } from 'prom-client';
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
  /** How long a call waits for discovery to list a first endpoint, in ms. Default 2 000. */
  discoveryWaitMs?: number;
  /** Time for one attempt; default half the call's remaining time while another attempt may follow. */
  attemptTimeoutMs?: number;
  /** Retries of failed idempotent calls, or false. Default: 2 retries, budget 20% + 10/s over 10 s. */
  retries?: false | { maxRetries?: number; budget?: RetryBudgetOptions; backoff?: BackoffOptions };
  /** Hedging for idempotent calls, off unless set here or per call: a second copy after `delayMs` (or the observed p95). */
  hedging?: false | { delayMs?: number | 'p95' };
  /** Per-upstream circuit breaker (opossum), or false. Default on: 50% errors over 10 s, 20 calls minimum, 5 s open. */
  breaker?: false | BreakerOptions;
  /** Passive outlier detection, or false. Default: eject after 5 consecutive failures, 30 s x times ejected. */
  outlierDetection?: false | OutlierDetectionOptions;
  /** Below this share (%) of healthy endpoints, balance over all of them. Default 50. */
  panicThresholdPercent?: number;
  /** Active HTTP health checks; off unless set. */
  healthCheck?: ActiveHealthCheckOptions;
  /** Calls in flight to this upstream at most (bulkhead). Default unlimited. */
  maxConcurrent?: number;
  /** Fault injection for demos and tests; off unless set (or `TRELLIS_FAULT_<NAME>` is). */
  faults?: FaultInjectionOptions;
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
  /** Called with every decision the mesh takes (ejections, retries, hedges, breaker moves...). */
  onEvent?: MeshEventListener;
  /** Environment for `TRELLIS_FAULT_<NAME>`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Prometheus metrics on your prom-client registry (the mesh never uses the global one). */
  metrics?: { registry: Registry };
}

export interface UpstreamSnapshot {
  readonly name: string;
  readonly resolver: string;
  readonly balancer: string;
  readonly breaker: BreakerState | 'off';
  readonly panic: boolean;
  readonly inFlight: number;
  readonly retryBudget:
    { requests: number; retries: number; refused: number; available: number } | undefined;
  readonly endpoints: EndpointSnapshot[];
  /** Cumulative call counts and durations; diff two snapshots for rates and quantiles. */
  readonly calls: CallTotals;
}

const SERVICE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** The process's mesh: creates one client per upstream on demand and owns their resources. */
export class Mesh {
  readonly #upstreams = new Map<string, UpstreamEntry>();
  readonly #events = new MeshEventLog();
  #metrics: MeshMetrics | undefined;
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
    if (options.onEvent) this.#events.subscribe(options.onEvent);
    if (options.metrics) {
      const metrics = new MeshMetrics(options.metrics.registry, () => this.snapshot());
      this.#metrics = metrics;
      this.#events.subscribe((event) => metrics.record(event));
    }
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
    validateResilienceOptions('defaults', options.defaults ?? {}, this.#clock, this.#random);
    for (const [name, config] of Object.entries(options.upstreams ?? {})) {
      const merged = { ...options.defaults, ...config };
      validateUpstreamOptions(`upstreams.${name}`, merged);
      this.#balancerFor(name, merged);
      validateResilienceOptions(name, merged, this.#clock, this.#random);
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
      events: this.#events,
      ewmaDecayMs: config.ewmaDecayMs ?? 10_000,
      defaultRttMs: config.defaultRttMs ?? 30,
      pool: {
        connectionsPerEndpoint:
          config.connectionsPerEndpoint ?? defaultPoolOptions.connectionsPerEndpoint,
        connectTimeoutMs: config.connectTimeoutMs ?? defaultPoolOptions.connectTimeoutMs,
        keepAliveTimeoutMs: config.keepAliveTimeoutMs ?? defaultPoolOptions.keepAliveTimeoutMs,
      },
      outlierDetection: config.outlierDetection === false ? false : (config.outlierDetection ?? {}),
      panicThresholdPercent: config.panicThresholdPercent ?? DEFAULT_PANIC_THRESHOLD_PERCENT,
      healthCheck: config.healthCheck,
    });
    const retries = config.retries === false ? undefined : (config.retries ?? {});
    const breaker =
      config.breaker === false
        ? undefined
        : new UpstreamBreaker(service, config.breaker ?? {}, isNeutralForBreaker, (event) => {
            if (event !== 'reject')
              this.#events.emit({ type: 'breaker', upstream: service, state: event });
            if (event === 'open')
              this.#logger.warn({ upstream: service }, 'circuit breaker opened');
          });
    const faultOptions = config.faults ?? this.#faultsFromEnv(service);
    const policies: UpstreamEntry['policies'] = {
      budget: retries ? new RetryBudget(retries.budget ?? {}, this.#clock) : undefined,
      breaker,
      bulkhead: new Bulkhead(config.maxConcurrent ?? Number.POSITIVE_INFINITY),
    };
    const client = new ServiceClient(upstream, {
      timeoutMs: config.timeoutMs ?? 10_000,
      attemptTimeoutMs: config.attemptTimeoutMs,
      discoveryWaitMs: config.discoveryWaitMs ?? 2_000,
      retry: retries
        ? {
            maxRetries: retries.maxRetries ?? 2,
            backoff: resolveBackoffOptions(retries.backoff ?? {}),
          }
        : undefined,
      hedge:
        config.hedging === false || config.hedging === undefined
          ? undefined
          : { delayMs: config.hedging.delayMs ?? 'p95', fallbackDelayMs: 50 },
      budget: policies.budget,
      breaker,
      bulkhead: policies.bulkhead,
      faults: faultOptions ? new FaultInjector(faultOptions, this.#random) : undefined,
      latency: new LatencyWindow(),
      events: this.#events,
      clock: this.#clock,
      random: this.#random,
      isClosed: () => this.#closed,
      metrics: this.#metrics,
    });
    this.#upstreams.set(service, { upstream, client, policies });
    return client;
  }

  /** Subscribes to the mesh's decisions; returns the unsubscribe function. */
  onEvent(listener: MeshEventListener): () => void {
    return this.#events.subscribe(listener);
  }

  /** The most recent decisions (up to 200), oldest first. */
  recentEvents(): readonly (MeshEvent & { at: number })[] {
    return this.#events.recent();
  }

  /** What the mesh knows right now, per upstream (for admin views and dashboards). */
  snapshot(): UpstreamSnapshot[] {
    return [...this.#upstreams.values()].map(({ upstream, policies }) => ({
      name: upstream.name,
      resolver: upstream.resolver.description,
      balancer: upstream.balancer.name,
      breaker: policies.breaker?.state ?? 'off',
      panic: upstream.panic,
      inFlight: policies.bulkhead.inFlight,
      retryBudget: policies.budget ? { ...policies.budget.stats } : undefined,
      endpoints: upstream.snapshot(),
      calls: upstream.calls.totals(),
    }));
  }

  /** Stops discovery and closes every pool after its in-flight requests (or at once with `force`). */
  async close(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const upstreams = [...this.#upstreams.values()];
    for (const { policies } of upstreams) policies.breaker?.shutdown();
    await Promise.all(upstreams.map(({ upstream }) => upstream.close(options.force)));
    await Promise.all(upstreams.map(({ upstream }) => upstream.resolver.close()));
    await Promise.all(this.#ownedDiscoveries.map((discovery) => discovery.close?.()));
  }

  #faultsFromEnv(service: string): FaultInjectionOptions | undefined {
    const variable = `TRELLIS_FAULT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    const value = (this.options.env ?? process.env)[variable];
    return value === undefined || value.trim() === '' ? undefined : parseFaultSpec(value, variable);
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

interface UpstreamEntry {
  upstream: Upstream;
  client: ServiceClient;
  policies: {
    budget: RetryBudget | undefined;
    breaker: UpstreamBreaker | undefined;
    bulkhead: Bulkhead;
  };
}

/** Errors that say nothing about the upstream's health: the breaker ignores them. */
function isNeutralForBreaker(error: unknown): boolean {
  return (
    error instanceof InvalidRequestError ||
    error instanceof RequestAbortedError ||
    error instanceof OverloadedError ||
    error instanceof MeshClosedError ||
    (error instanceof DeadlineExceededError && /before the call was sent/.test(error.message))
  );
}

/** Builds each policy once so bad options fail at createMesh with the policy's own error. */
function validateResilienceOptions(
  name: string,
  options: UpstreamOptions,
  clock: Clock,
  random: RandomSource,
): void {
  if (options.retries) {
    new RetryBudget(options.retries.budget ?? {}, clock);
    resolveBackoffOptions(options.retries.backoff ?? {});
    const max = options.retries.maxRetries;
    if (max !== undefined && (!Number.isInteger(max) || max < 0 || max > 10)) {
      throw new MeshConfigError(
        'ERR_INVALID_RETRY_OPTIONS',
        `upstreams.${name}.retries.maxRetries is ${JSON.stringify(max)}`,
        {
          upstream: name,
          advice: 'set maxRetries to a whole number from 0 to 10',
        },
      );
    }
  }
  if (options.breaker)
    new UpstreamBreaker(
      name,
      options.breaker,
      () => false,
      () => undefined,
    ).shutdown();
  if (options.panicThresholdPercent !== undefined)
    validatePanicThresholdPercent(options.panicThresholdPercent);
  if (options.maxConcurrent !== undefined) new Bulkhead(options.maxConcurrent);
  if (options.faults) new FaultInjector(options.faults, random);
  const delay = options.hedging ? options.hedging.delayMs : undefined;
  if (
    delay !== undefined &&
    delay !== 'p95' &&
    (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0)
  ) {
    throw new MeshConfigError(
      'ERR_INVALID_HEDGING_OPTIONS',
      `upstreams.${name}.hedging.delayMs is ${JSON.stringify(delay)}`,
      {
        upstream: name,
        advice: "set delayMs to a number of ms >= 0, or 'p95'",
      },
    );
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
    'attemptTimeoutMs',
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
  for (const key of ['discoveryWaitMs'] as const) {
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
