import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RoundRobinBalancer, nextNotAvoided } from './round-robin.js';
import { countPicks, mulberry32, plainEndpoints } from './test-support.js';

describe('RoundRobinBalancer', () => {
  it('gives every eligible endpoint exactly the same number of picks', () => {
    const endpoints = plainEndpoints(7);
    const balancer = new RoundRobinBalancer(mulberry32(1));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 7 * 1000);
    expect([...counts.values()]).toEqual(Array(7).fill(1000));
  });

  it('visits the endpoints in a fixed cycle', () => {
    const endpoints = plainEndpoints(3);
    const balancer = new RoundRobinBalancer(mulberry32(2));
    balancer.update(endpoints, endpoints);
    const first = [0, 1, 2].map(() => balancer.pick({})?.key);
    const second = [0, 1, 2].map(() => balancer.pick({})?.key);
    expect(new Set(first).size).toBe(3);
    expect(second).toEqual(first);
  });

  it('stays exactly even after the eligible set changes', () => {
    const endpoints = plainEndpoints(5);
    const balancer = new RoundRobinBalancer(mulberry32(3));
    balancer.update(endpoints, endpoints);
    countPicks(balancer, 3);
    balancer.update(endpoints.slice(1), endpoints);
    const counts = countPicks(balancer, 4 * 250);
    expect(counts.has(endpoints[0].key)).toBe(false);
    expect([...counts.values()]).toEqual(Array(4).fill(250));
  });

  it('skips avoided endpoints when another exists', () => {
    const endpoints = plainEndpoints(4);
    const balancer = new RoundRobinBalancer(mulberry32(4));
    balancer.update(endpoints, endpoints);
    const avoid = new Set([endpoints[0].key, endpoints[1].key, endpoints[2].key]);
    for (let turn = 0; turn < 20; turn++) {
      expect(balancer.pick({ avoid })?.key).toBe(endpoints[3].key);
    }
  });

  it('ignores avoid when every endpoint is avoided', () => {
    const endpoints = plainEndpoints(2);
    const balancer = new RoundRobinBalancer(mulberry32(5));
    balancer.update(endpoints, endpoints);
    const avoid = new Set(endpoints.map((endpoint) => endpoint.key));
    expect(endpoints).toContain(balancer.pick({ avoid }));
  });

  it('returns undefined when no endpoint is eligible', () => {
    const balancer = new RoundRobinBalancer(mulberry32(6));
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], plainEndpoints(2));
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (count, seed) => {
        const endpoints = plainEndpoints(count);
        const balancer = new RoundRobinBalancer(mulberry32(seed));
        balancer.update(endpoints, endpoints);
        for (let turn = 0; turn < 2 * count; turn++) {
          expect(endpoints).toContain(balancer.pick({}));
        }
      }),
    );
  });
});

describe('nextNotAvoided', () => {
  it('walks at most avoid.size + 1 places and wraps around', () => {
    const endpoints = plainEndpoints(5);
    expect(nextNotAvoided(endpoints, 3, new Set([endpoints[3].key, endpoints[4].key]))).toBe(0);
    expect(nextNotAvoided(endpoints, 1, new Set())).toBe(1);
    expect(nextNotAvoided(endpoints, 0, new Set(endpoints.map((e) => e.key)))).toBe(-1);
  });
});
