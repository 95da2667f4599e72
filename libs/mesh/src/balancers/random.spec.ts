import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomBalancer, randomIndex } from './random.js';
import { countPicks, mulberry32, plainEndpoints } from './test-support.js';

describe('RandomBalancer', () => {
  it('spreads 100k picks evenly, each endpoint within 3% of its share', () => {
    const endpoints = plainEndpoints(10);
    const balancer = new RandomBalancer(mulberry32(11));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 100_000);
    expect(counts.size).toBe(10);
    for (const count of counts.values()) {
      expect(Math.abs(count - 10_000) / 10_000).toBeLessThan(0.03);
    }
  });

  it('takes another endpoint when the drawn one is avoided', () => {
    const endpoints = plainEndpoints(3);
    const balancer = new RandomBalancer(mulberry32(12));
    balancer.update(endpoints, endpoints);
    const avoid = new Set([endpoints[1].key]);
    const counts = countPicks(balancer, 3000, { avoid });
    expect(counts.has(endpoints[1].key)).toBe(false);
    expect(counts.size).toBe(2);
  });

  it('ignores avoid when every endpoint is avoided', () => {
    const endpoints = plainEndpoints(2);
    const balancer = new RandomBalancer(mulberry32(13));
    balancer.update(endpoints, endpoints);
    const avoid = new Set(endpoints.map((endpoint) => endpoint.key));
    expect(endpoints).toContain(balancer.pick({ avoid }));
  });

  it('returns undefined when no endpoint is eligible', () => {
    const balancer = new RandomBalancer(mulberry32(14));
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], plainEndpoints(1));
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (count, seed) => {
        const endpoints = plainEndpoints(count);
        const balancer = new RandomBalancer(mulberry32(seed));
        balancer.update(endpoints, endpoints);
        for (let turn = 0; turn < 20; turn++) expect(endpoints).toContain(balancer.pick({}));
      }),
    );
  });
});

describe('randomIndex', () => {
  it('stays below the count even when the source returns its largest value', () => {
    expect(randomIndex(() => 1 - Number.EPSILON / 2, 10_000)).toBeLessThan(10_000);
    expect(randomIndex(() => 0, 7)).toBe(0);
  });
});
