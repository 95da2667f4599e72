import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer, PickContext } from './balancer.js';

/**
 * Index of the first endpoint at or after `start` (wrapping) whose key is not in `avoid`, or -1
 * when every endpoint is avoided. Keys are distinct, so among `avoid.size + 1` consecutive
 * endpoints one is free: the walk is bounded by the size of `avoid`, not of the set.
 */
export function nextNotAvoided(
  endpoints: readonly EndpointState[],
  start: number,
  avoid: ReadonlySet<string>,
): number {
  const count = endpoints.length;
  const steps = Math.min(count, avoid.size + 1);
  for (let step = 0; step < steps; step++) {
    const index = (start + step) % count;
    if (!avoid.has(endpoints[index].key)) return index;
  }
  return -1;
}

/** Each eligible endpoint in turn: exactly even shares whatever the endpoints' load. */
export class RoundRobinBalancer implements Balancer {
  readonly name = 'round-robin';
  #endpoints: readonly EndpointState[] = [];
  #next = -1;

  constructor(private readonly random: RandomSource) {}

  update(eligible: readonly EndpointState[], _all: readonly EndpointState[]): void {
    this.#endpoints = eligible.slice();
    // A random starting point, so clients started together do not all begin with the same endpoint.
    if (this.#next < 0 && eligible.length > 0) {
      this.#next = Math.min(eligible.length - 1, Math.floor(this.random() * eligible.length));
    }
  }

  pick(context: PickContext): EndpointState | undefined {
    const endpoints = this.#endpoints;
    const count = endpoints.length;
    if (count === 0) return undefined;
    let index = this.#next % count;
    if (context.avoid && context.avoid.size > 0) {
      const free = nextNotAvoided(endpoints, index, context.avoid);
      if (free >= 0) index = free;
    }
    this.#next = (index + 1) % count;
    return endpoints[index];
  }
}
