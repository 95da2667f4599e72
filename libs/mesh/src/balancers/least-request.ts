import type { RandomSource } from '../clock.js';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer, PickContext } from './balancer.js';
import { randomIndex } from './random.js';
import { nextNotAvoided } from './round-robin.js';

/**
 * Power of two choices: draws two distinct random endpoints and returns the one with the lower
 * cost. Endpoints in `avoid` are swapped for the next free one when any exists.
 */
export function pickLesserOfTwo(
  endpoints: readonly EndpointState[],
  random: RandomSource,
  avoid: ReadonlySet<string> | undefined,
  cost: (endpoint: EndpointState) => number,
): EndpointState | undefined {
  const count = endpoints.length;
  if (count < 2) return endpoints[0];
  let first = randomIndex(random, count);
  let second = randomIndex(random, count - 1);
  if (second >= first) second++;
  if (avoid && avoid.size > 0) {
    const freeFirst = nextNotAvoided(endpoints, first, avoid);
    // With every endpoint avoided there is no other choice, and avoid is ignored.
    if (freeFirst >= 0) {
      first = freeFirst;
      second = nextNotAvoided(endpoints, second, avoid);
    }
  }
  // The pair is drawn in random order, so keeping the first on a tie is already a fair coin.
  return cost(endpoints[second]) < cost(endpoints[first]) ? endpoints[second] : endpoints[first];
}

const pendingOf = (endpoint: EndpointState): number => endpoint.pending;

/** Power of two choices over requests in flight (Envoy's least-request). */
export class LeastRequestBalancer implements Balancer {
  readonly name = 'least-request';
  #endpoints: readonly EndpointState[] = [];

  constructor(private readonly random: RandomSource) {}

  update(eligible: readonly EndpointState[], _all: readonly EndpointState[]): void {
    this.#endpoints = eligible.slice();
  }

  pick(context: PickContext): EndpointState | undefined {
    return pickLesserOfTwo(this.#endpoints, this.random, context.avoid, pendingOf);
  }
}
