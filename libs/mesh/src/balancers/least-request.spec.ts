import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeastRequestBalancer } from './least-request.js';
import { countPicks, mulberry32, plainEndpoints } from './test-support.js';

describe('LeastRequestBalancer', () => {
  it('of two endpoints with different pending counts, always picks the less busy', () => {
    const endpoints = plainEndpoints(2);
    endpoints[0].pending = 5;
    endpoints[1].pending = 4;
    const balancer = new LeastRequestBalancer(mulberry32(21));
    balancer.update(endpoints, endpoints);
    expect(countPicks(balancer, 1000)).toEqual(new Map([[endpoints[1].key, 1000]]));
  });

  it('never picks the strictly busiest endpoint', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 50 }), { minLength: 2, maxLength: 20 }),
        fc.integer(),
        (pending, seed) => {
          const endpoints = plainEndpoints(pending.length);
          endpoints.forEach((endpoint, index) => (endpoint.pending = pending[index]));
          const most = Math.max(...pending);
          fc.pre(pending.filter((count) => count === most).length === 1);
          const balancer = new LeastRequestBalancer(mulberry32(seed));
          balancer.update(endpoints, endpoints);
          for (let turn = 0; turn < 50; turn++) {
            expect(balancer.pick({})?.pending).toBeLessThan(most);
          }
        },
      ),
    );
  });

  it('breaks ties at random', () => {
    const endpoints = plainEndpoints(2);
    const balancer = new LeastRequestBalancer(mulberry32(22));
    balancer.update(endpoints, endpoints);
    const share = (countPicks(balancer, 20_000).get(endpoints[0].key) ?? 0) / 20_000;
    expect(share).toBeGreaterThan(0.48);
    expect(share).toBeLessThan(0.52);
  });

  it('keeps traffic off the busy endpoint and even across the idle ones', () => {
    const endpoints = plainEndpoints(4);
    endpoints[0].pending = 10;
    const balancer = new LeastRequestBalancer(mulberry32(23));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 30_000);
    expect(counts.has(endpoints[0].key)).toBe(false);
    for (const endpoint of endpoints.slice(1)) {
      expect(Math.abs((counts.get(endpoint.key) ?? 0) - 10_000)).toBeLessThan(500);
    }
  });

  it('avoids the avoided endpoint even when it is the least busy', () => {
    const endpoints = plainEndpoints(3);
    endpoints[1].pending = 3;
    endpoints[2].pending = 7;
    const balancer = new LeastRequestBalancer(mulberry32(24));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 1000, { avoid: new Set([endpoints[0].key]) });
    expect(counts).toEqual(new Map([[endpoints[1].key, 1000]]));
  });

  it('ignores avoid when every endpoint is avoided', () => {
    const endpoints = plainEndpoints(3);
    const balancer = new LeastRequestBalancer(mulberry32(25));
    balancer.update(endpoints, endpoints);
    const avoid = new Set(endpoints.map((endpoint) => endpoint.key));
    expect(endpoints).toContain(balancer.pick({ avoid }));
  });

  it('returns the only endpoint of a set of one, and undefined on an empty set', () => {
    const balancer = new LeastRequestBalancer(mulberry32(26));
    expect(balancer.pick({})).toBeUndefined();
    const [only] = plainEndpoints(1);
    balancer.update([only], [only]);
    expect(balancer.pick({})).toBe(only);
    balancer.update([], [only]);
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (count, seed) => {
        const endpoints = plainEndpoints(count);
        const balancer = new LeastRequestBalancer(mulberry32(seed));
        balancer.update(endpoints, endpoints);
        for (let turn = 0; turn < 20; turn++) expect(endpoints).toContain(balancer.pick({}));
      }),
    );
  });
});
