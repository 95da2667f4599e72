import { CallStats } from './telemetry/call-stats.js';
import type { Balancer, PickContext } from './balancers/balancer.js';
import type { Clock } from './clock.js';
import { endpointKey, sameEndpoint, type Endpoint } from './endpoint.js';
import { EndpointState } from './endpoint-state.js';
import type { MeshLogger } from './logger.js';
import type { MeshEventLog } from './events.js';
import {
  ActiveHealthChecker,
  type ActiveHealthCheckOptions,
} from './health/active-health-checker.js';
import {
  OutlierDetector,
  panicEligible,
  type OutlierDetectionOptions,
} from './health/outlier-detector.js';
import type { Resolver } from './resolvers/resolver.js';
import { EndpointPools, type PoolOptions } from './transport/endpoint-pools.js';

export interface UpstreamRuntime {
  readonly clock: Clock;
  readonly logger: MeshLogger;
  readonly events: MeshEventLog;
  readonly ewmaDecayMs: number;
  readonly defaultRttMs: number;
  readonly pool: PoolOptions;
  /** Passive outlier detection, or false to turn it off. */
  readonly outlierDetection: OutlierDetectionOptions | false;
  readonly panicThresholdPercent: number;
  readonly healthCheck: ActiveHealthCheckOptions | undefined;
}

/** A snapshot of one endpoint for admin views, dashboards and tests. */
export interface EndpointSnapshot {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly zone: string | undefined;
  readonly weight: number;
  readonly draining: boolean;
  readonly ejected: boolean;
  readonly timesEjected: number;
  readonly activeCheckHealthy: boolean;
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
  /** Every call's outcome and duration, for dashboards. */
  readonly calls = new CallStats();
  readonly #states = new Map<string, EndpointState>();
  #eligible: readonly EndpointState[] = [];
  #all: readonly EndpointState[] = [];
  #received = false;
  #panic = false;
  #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  readonly #detector: OutlierDetector | undefined;
  readonly #checker: ActiveHealthChecker | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly pools: EndpointPools;

  constructor(
    readonly name: string,
    readonly resolver: Resolver,
    readonly balancer: Balancer,
    private readonly runtime: UpstreamRuntime,
  ) {
    this.pools = new EndpointPools(name, runtime.pool, runtime.logger);
    if (runtime.outlierDetection !== false) {
      const detectionOptions = runtime.outlierDetection;
      this.#detector = new OutlierDetector(detectionOptions, runtime.clock, {
        onEject: (endpoint, reason, durationMs) => {
          runtime.events.emit({ type: 'eject', upstream: name, endpoint, reason, durationMs });
          runtime.logger.warn({ upstream: name, endpoint, reason, durationMs }, 'endpoint ejected');
          // Come back on time even if no sweep or request happens to look.
          this.#after(durationMs + 1, () => this.#recomputeEligible());
          this.#recomputeEligible();
        },
        onUneject: (endpoint) => {
          runtime.events.emit({ type: 'uneject', upstream: name, endpoint });
          this.#recomputeEligible();
        },
      });
      const sweepEvery = detectionOptions.intervalMs ?? 10_000;
      const sweeper = setInterval(() => this.#detector?.sweep(), sweepEvery);
      sweeper.unref();
      this.#timers.add(sweeper);
    }
    if (runtime.healthCheck) {
      this.#checker = new ActiveHealthChecker(
        runtime.healthCheck,
        {
          onUnhealthy: (endpoint) => {
            runtime.events.emit({ type: 'health-check', upstream: name, endpoint, healthy: false });
            this.#recomputeEligible();
          },
          onHealthy: (endpoint) => {
            runtime.events.emit({ type: 'health-check', upstream: name, endpoint, healthy: true });
            this.#recomputeEligible();
          },
        },
        runtime.logger,
      );
    }
    this.#unsubscribe = resolver.subscribe((endpoints) => this.#apply(endpoints));
  }

  /** Feeds one attempt's outcome to the health model. */
  recordOutcome(state: EndpointState, endpointFailure: boolean): void {
    if (!this.#detector || !this.#states.has(state.key)) return;
    if (endpointFailure) this.#detector.recordFailure(state.key);
    else this.#detector.recordSuccess(state.key);
  }

  /** True while fewer than the panic threshold are healthy and the balancer spreads over all. */
  get panic(): boolean {
    return this.#panic;
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
      ejected: this.#detector?.isEjected(state.key) ?? false,
      timesEjected: this.#detector?.snapshot(state.key)?.timesEjected ?? 0,
      activeCheckHealthy: this.#checker?.isHealthy(state.key) ?? true,
      eligible: eligible.has(state),
      pending: state.pending,
      sent: state.sent,
      ewmaMs: state.latency.estimateMs,
      metadata: state.endpoint.metadata ?? {},
    }));
  }

  async close(force = false): Promise<void> {
    this.#unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#checker?.close();
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
    this.#detector?.setEndpoints(this.#all.map((state) => state.key));
    this.#checker?.setEndpoints(
      this.#all.map((state) => ({ key: state.key, endpoint: state.endpoint })),
    );
    this.#recomputeEligible();
    if (this.#all.length > 0) {
      for (const waiter of [...this.#waiters]) waiter();
    }
  }

  /**
   * Draining endpoints get no new requests while any other endpoint can serve. Ejected or
   * check-failing endpoints are left out too, unless so few are healthy that the rest would be
   * crushed (panic): then the balancer spreads over every serving endpoint.
   */
  #recomputeEligible(): void {
    const serving = this.#all.filter((state) => !state.endpoint.draining);
    const candidates = serving.length > 0 ? serving : this.#all;
    const healthy = candidates.filter(
      (state) =>
        !(this.#detector?.isEjected(state.key) ?? false) &&
        (this.#checker?.isHealthy(state.key) ?? true),
    );
    const { eligible, panic } = panicEligible(
      healthy,
      candidates,
      this.runtime.panicThresholdPercent,
    );
    if (panic !== this.#panic && candidates.length > 0) {
      this.#panic = panic;
      this.runtime.events.emit({
        type: 'panic',
        upstream: this.name,
        active: panic,
        healthy: healthy.length,
        total: candidates.length,
      });
    }
    this.#eligible = eligible;
    this.balancer.update(this.#eligible, this.#all);
  }

  #after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}
