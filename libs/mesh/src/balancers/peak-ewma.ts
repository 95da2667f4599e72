import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer, PickContext } from './balancer.js';
import { pickLesserOfTwo } from './least-request.js';

const loadOf = (endpoint: EndpointState): number => endpoint.load;

/**
 * The default: power of two choices over peak-EWMA load, latency estimate x (pending + 1), as in
 * Finagle and Linkerd. Slow or queued endpoints lose most comparisons, so they get little traffic
 * until their estimate decays and they are tried again.
 */
export class PeakEwmaBalancer implements Balancer {
  readonly name = 'peak-ewma';
  #endpoints: readonly EndpointState[] = [];

  constructor(private readonly random: RandomSource) {}

  update(eligible: readonly EndpointState[], _all: readonly EndpointState[]): void {
    this.#endpoints = eligible.slice();
  }

  pick(context: PickContext): EndpointState | undefined {
    return pickLesserOfTwo(this.#endpoints, this.random, context.avoid, loadOf);
  }
}
