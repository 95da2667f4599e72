import type { Clock, RandomSource } from '../clock.js';
import type { Endpoint } from '../endpoint.js';
import { EndpointState } from '../endpoint-state.js';
import type { Balancer, BalancerContext, PickContext } from './balancer.js';

/** Seeded PRNG (mulberry32): a reproducible RandomSource for distribution tests. */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A clock that moves only when told to. */
export interface ManualClock {
  readonly now: Clock;
  advance(ms: number): void;
}

export function manualClock(start = 0): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

export function balancerContext(seed = 1, clock: Clock = () => 0): BalancerContext {
  return { upstream: 'test-upstream', clock, random: mulberry32(seed) };
}

/** Endpoint states at 10.0.x.y:8080, one per description, with the fields it gives. */
export function endpointStates(
  descriptions: readonly Partial<Endpoint>[],
  clock: Clock = () => 0,
): EndpointState[] {
  return descriptions.map(
    (description, index) =>
      new EndpointState(
        { address: `10.0.${index >> 8}.${index & 255}`, port: 8080, ...description },
        { clock },
      ),
  );
}

/** `count` plain endpoint states. */
export function plainEndpoints(count: number, clock: Clock = () => 0): EndpointState[] {
  return endpointStates(
    Array.from({ length: count }, () => ({})),
    clock,
  );
}

/** Picks `times` times and counts picks per endpoint key. */
export function countPicks(
  balancer: Balancer,
  times: number,
  context: PickContext = {},
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let turn = 0; turn < times; turn++) {
    const chosen = balancer.pick(context);
    if (chosen) counts.set(chosen.key, (counts.get(chosen.key) ?? 0) + 1);
  }
  return counts;
}
