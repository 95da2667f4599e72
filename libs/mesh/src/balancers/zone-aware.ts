import type { EndpointState } from '../endpoint-state.js';
import { invalidBalancerOption } from './balancer-options.js';
import type {
  Balancer,
  BalancerContext,
  BalancerFactory,
  BalancerSpec,
  PickContext,
} from './balancer.js';

export const zoneAwareOptionNames = [
  'zone',
  'within',
  'minHealthyShare',
  'overloadFactor',
] as const;

/** Builds the balancer used inside the chosen set; the registry's `createBalancer`. */
type BuildBalancer = (spec: BalancerSpec, context: BalancerContext) => Balancer;

/** Endpoints whose pending counts are re-read on every pick; bounds the cost of a pick. */
const pendingReadsPerPick = 8;

/**
 * Mean requests in flight over a set of endpoints, kept in O(1) per pick: each `refresh` re-reads
 * a few endpoints in turn, so at 10,000 endpoints the mean trails by about a thousand picks and on
 * small sets it is exact.
 */
class PendingMean {
  #endpoints: readonly EndpointState[] = [];
  #lastRead = new Float64Array(0);
  #sum = 0;
  #cursor = 0;

  reset(endpoints: readonly EndpointState[]): void {
    this.#endpoints = endpoints;
    this.#lastRead = Float64Array.from(endpoints, (endpoint) => endpoint.pending);
    this.#sum = this.#lastRead.reduce((sum, pending) => sum + pending, 0);
    this.#cursor = 0;
  }

  refresh(): void {
    const count = this.#endpoints.length;
    const reads = Math.min(count, pendingReadsPerPick);
    for (let read = 0; read < reads; read++) {
      const index = this.#cursor;
      const pending = this.#endpoints[index].pending;
      this.#sum += pending - this.#lastRead[index];
      this.#lastRead[index] = pending;
      this.#cursor = index + 1 === count ? 0 : index + 1;
    }
  }

  get count(): number {
    return this.#endpoints.length;
  }

  get value(): number {
    return this.#endpoints.length === 0 ? 0 : this.#sum / this.#endpoints.length;
  }
}

export interface ZoneAwareOptions {
  readonly zone: string;
  readonly minHealthyShare: number;
  readonly overloadFactor: number;
}

/**
 * Prefers endpoints in this process's zone, balanced by `within`, and spills to every eligible
 * endpoint when the local zone is unhealthy (its eligible share of its endpoints is below
 * `minHealthyShare`), overloaded (its mean pending exceeds `overloadFactor` x (remote mean
 * pending + 1)), or has no eligible endpoint at all.
 */
export class ZoneAwareBalancer implements Balancer {
  readonly name = 'zone-aware';
  readonly #local: Balancer;
  readonly #everywhere: Balancer;
  readonly #localPending = new PendingMean();
  readonly #remotePending = new PendingMean();
  #localHealthy = false;

  constructor(
    private readonly options: ZoneAwareOptions,
    createWithin: () => Balancer,
  ) {
    this.#local = createWithin();
    this.#everywhere = createWithin();
  }

  update(eligible: readonly EndpointState[], all: readonly EndpointState[]): void {
    const zone = this.options.zone;
    const localEligible = eligible.filter((endpoint) => endpoint.zone === zone);
    const remoteEligible = eligible.filter((endpoint) => endpoint.zone !== zone);
    const localAll = all.filter((endpoint) => endpoint.zone === zone);
    this.#localHealthy =
      localEligible.length > 0 &&
      localEligible.length / Math.max(localAll.length, localEligible.length) >=
        this.options.minHealthyShare;
    this.#local.update(localEligible, localAll);
    this.#everywhere.update(eligible, all);
    this.#localPending.reset(localEligible);
    this.#remotePending.reset(remoteEligible);
  }

  pick(context: PickContext): EndpointState | undefined {
    if (!this.#localHealthy || this.#localOverloaded()) return this.#everywhere.pick(context);
    const chosen = this.#local.pick(context);
    if (!chosen || !context.avoid || !context.avoid.has(chosen.key)) return chosen;
    return this.#everywhere.pick(context) ?? chosen;
  }

  #localOverloaded(): boolean {
    this.#localPending.refresh();
    this.#remotePending.refresh();
    if (this.#remotePending.count === 0) return false;
    return this.#localPending.value > this.options.overloadFactor * (this.#remotePending.value + 1);
  }
}

/**
 * `{ name: 'zone-aware', zone, within, minHealthyShare, overloadFactor }`; `within` defaults to
 * peak-ewma, `minHealthyShare` to 0.7 and `overloadFactor` to 2.
 */
export function zoneAwareBalancerFactory(build: BuildBalancer): BalancerFactory {
  return (options, context) => {
    const { zone, within, minHealthyShare = 0.7, overloadFactor = 2 } = options;
    if (typeof zone !== 'string' || zone === '') {
      throw invalidBalancerOption(
        'zone-aware',
        context,
        'zone',
        zone,
        'the zone this process runs in, e.g. "eu-west-1a"',
      );
    }
    if (typeof minHealthyShare !== 'number' || !(minHealthyShare >= 0 && minHealthyShare <= 1)) {
      throw invalidBalancerOption(
        'zone-aware',
        context,
        'minHealthyShare',
        minHealthyShare,
        'a number from 0 to 1',
      );
    }
    // Below 1 the local zone would spill while it is less loaded than the others.
    if (typeof overloadFactor !== 'number' || !(overloadFactor >= 1)) {
      throw invalidBalancerOption(
        'zone-aware',
        context,
        'overloadFactor',
        overloadFactor,
        'a number >= 1 (Infinity never spills on load)',
      );
    }
    const withinSpec = (within ?? 'peak-ewma') as BalancerSpec;
    return new ZoneAwareBalancer({ zone, minHealthyShare, overloadFactor }, () =>
      build(withinSpec, context),
    );
  };
}
