import type { Balancer, PickContext } from './balancers/balancer.js';
import type { Clock } from './clock.js';
import { endpointKey, sameEndpoint, type Endpoint } from './endpoint.js';
import { EndpointState } from './endpoint-state.js';
import type { MeshLogger } from './logger.js';
import type { Resolver } from './resolvers/resolver.js';
import { EndpointPools, type PoolOptions } from './transport/endpoint-pools.js';

export interface UpstreamRuntime {
  readonly clock: Clock;
  readonly logger: MeshLogger;
  readonly ewmaDecayMs: number;
  readonly defaultRttMs: number;
  readonly pool: PoolOptions;
}

/** A snapshot of one endpoint for admin views, dashboards and tests. */
export interface EndpointSnapshot {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly zone: string | undefined;
  readonly weight: number;
  readonly draining: boolean;
  readonly eligible: boolean;
  readonly pending: number;
  readonly sent: number;
  readonly ewmaMs: number;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * One logical upstream service: the endpoint set its resolver pushes, the per-endpoint state
 * that outlives updates, the balancer over the eligible endpoints, and one pool per endpoint.
 */
export class Upstream {
  readonly #states = new Map<string, EndpointState>();
  #eligible: readonly EndpointState[] = [];
  #all: readonly EndpointState[] = [];
  #received = false;
  #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  readonly pools: EndpointPools;

  constructor(
    readonly name: string,
    readonly resolver: Resolver,
    readonly balancer: Balancer,
    private readonly runtime: UpstreamRuntime,
  ) {
    this.pools = new EndpointPools(name, runtime.pool, runtime.logger);
    this.#unsubscribe = resolver.subscribe((endpoints) => this.#apply(endpoints));
  }

  /** True once the resolver has delivered at least one set (possibly empty). */
  get discovered(): boolean {
    return this.#received;
  }

  get endpoints(): readonly EndpointState[] {
    return this.#all;
  }

  get eligible(): readonly EndpointState[] {
    return this.#eligible;
  }

  pick(context: PickContext): EndpointState | undefined {
    return this.balancer.pick(context);
  }

  /** Resolves when at least one endpoint is known, the signal aborts, or `maxWaitMs` passes. */
  async whenEndpoints(signal: AbortSignal, maxWaitMs: number): Promise<void> {
    if (this.#all.length > 0 || signal.aborted || maxWaitMs <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), maxWaitMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  snapshot(): EndpointSnapshot[] {
    const eligible = new Set(this.#eligible);
    return this.#all.map((state) => ({
      key: state.key,
      address: state.endpoint.address,
      port: state.endpoint.port,
      zone: state.endpoint.zone,
      weight: state.weight,
      draining: Boolean(state.endpoint.draining),
      eligible: eligible.has(state),
      pending: state.pending,
      sent: state.sent,
      ewmaMs: state.latency.estimateMs,
      metadata: state.endpoint.metadata ?? {},
    }));
  }

  async close(force = false): Promise<void> {
    this.#unsubscribe();
    for (const waiter of [...this.#waiters]) waiter();
    await this.pools.close(force);
  }

  #apply(endpoints: readonly Endpoint[]): void {
    this.#received = true;
    const next = new Map<string, Endpoint>();
    for (const endpoint of endpoints) next.set(endpointKey(endpoint), endpoint);
    for (const key of [...this.#states.keys()]) {
      if (!next.has(key)) {
        this.#states.delete(key);
        this.pools.retire(key);
      }
    }
    for (const [key, endpoint] of next) {
      const state = this.#states.get(key);
      if (!state) {
        this.#states.set(key, new EndpointState(endpoint, this.runtime));
      } else if (!sameEndpoint(state.endpoint, endpoint)) {
        state.endpoint = endpoint;
      }
    }
    this.#all = [...this.#states.values()];
    this.#recomputeEligible();
    if (this.#all.length > 0) {
      for (const waiter of [...this.#waiters]) waiter();
    }
  }

  /** Draining endpoints get no new requests while any other endpoint can serve. */
  #recomputeEligible(): void {
    const serving = this.#all.filter((state) => !state.endpoint.draining);
    this.#eligible = serving.length > 0 ? serving : this.#all;
    this.balancer.update(this.#eligible, this.#all);
  }
}
