import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer, PickContext } from './balancer.js';
import { nextNotAvoided } from './round-robin.js';

/** A uniform index in [0, count); clamped because `random() * count` can round up to `count`. */
export function randomIndex(random: RandomSource, count: number): number {
  const index = Math.floor(random() * count);
  return index < count ? index : count - 1;
}

/** A uniformly random eligible endpoint. */
export class RandomBalancer implements Balancer {
  readonly name = 'random';
  #endpoints: readonly EndpointState[] = [];

  constructor(private readonly random: RandomSource) {}

  update(eligible: readonly EndpointState[], _all: readonly EndpointState[]): void {
    this.#endpoints = eligible.slice();
  }

  pick(context: PickContext): EndpointState | undefined {
    const endpoints = this.#endpoints;
    if (endpoints.length === 0) return undefined;
    const chosen = endpoints[randomIndex(this.random, endpoints.length)];
    const avoid = context.avoid;
    if (!avoid || !avoid.has(chosen.key)) return chosen;
    const free = nextNotAvoided(endpoints, randomIndex(this.random, endpoints.length), avoid);
    return free >= 0 ? endpoints[free] : chosen;
  }
}
