import type { Clock, RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';

export interface PickContext {
  /** Key for consistent hashing (e.g. a user id); balancers that do not hash ignore it. */
  readonly hashKey?: string;
  /** Endpoint keys to avoid if any other choice exists (e.g. the one a retry is leaving). */
  readonly avoid?: ReadonlySet<string>;
}

/**
 * A load-balancing strategy for one upstream. `update` is called with the eligible endpoints
 * (and the whole set, for strategies that reason about health shares) whenever either changes,
 * always before the next `pick`; `pick` must be cheap, it runs on every request.
 */
export interface Balancer {
  readonly name: string;
  update(eligible: readonly EndpointState[], all: readonly EndpointState[]): void;
  pick(context: PickContext): EndpointState | undefined;
}

export interface BalancerContext {
  readonly upstream: string;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Builds a balancer from its options; validates them and throws MeshConfigError when wrong. */
export type BalancerFactory = (
  options: Record<string, unknown>,
  context: BalancerContext,
) => Balancer;

/** A balancer by name, or by name with options: `'peak-ewma'`, `{ name: 'weighted', by: 'version', split: { v1: 90, v2: 10 } }`. */
export type BalancerSpec = string | ({ name: string } & Record<string, unknown>);
