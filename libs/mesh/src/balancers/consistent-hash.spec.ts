import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointState } from '../endpoint-state.js';
import { ConsistentHashBalancer, maglevTableSize } from './consistent-hash.js';
import { endpointStates, mulberry32, plainEndpoints } from './test-support.js';

const keys = Array.from({ length: 10_000 }, (_, index) => `user-${index}`);

function hashBalancer(endpoints: readonly EndpointState[], seed = 41): ConsistentHashBalancer {
  const balancer = new ConsistentHashBalancer(mulberry32(seed));
  balancer.update(endpoints, endpoints);
  return balancer;
}

function owners(balancer: ConsistentHashBalancer, hashKeys: readonly string[]): string[] {
  return hashKeys.map((hashKey) => balancer.pick({ hashKey })?.key ?? '');
}

function movedShare(before: readonly string[], after: readonly string[]): number {
  return before.filter((owner, index) => owner !== after[index]).length / before.length;
}

function isPrime(value: number): boolean {
  for (let divisor = 2; divisor * divisor <= value; divisor++) {
    if (value % divisor === 0) return false;
  }
  return value > 1;
}

describe('ConsistentHashBalancer', () => {
  it('maps the same key to the same endpoint, whatever the order of the eligible set', () => {
    const endpoints = plainEndpoints(17);
    const balancer = hashBalancer(endpoints);
    const reversed = hashBalancer(endpoints.slice().reverse(), 42);
    fc.assert(
      fc.property(fc.string(), (hashKey) => {
        const owner = balancer.pick({ hashKey });
        expect(balancer.pick({ hashKey })).toBe(owner);
        expect(reversed.pick({ hashKey })).toBe(owner);
      }),
    );
  });

  it('moves about 1/N of 10k keys when one of N endpoints is removed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 50 }), fc.nat(), (count, removedSeed) => {
        const endpoints = plainEndpoints(count);
        const before = owners(hashBalancer(endpoints), keys);
        const removed = removedSeed % count;
        const after = owners(hashBalancer(endpoints.filter((_, i) => i !== removed)), keys);
        const moved = movedShare(before, after);
        expect(moved).toBeGreaterThanOrEqual(0.5 / count);
        expect(moved).toBeLessThanOrEqual(1.6 / count);
      }),
      { numRuns: 25 },
    );
  });

  it('moves about 1/N of 10k keys when one endpoint joins N - 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 50 }), (count) => {
        const endpoints = plainEndpoints(count);
        const before = owners(hashBalancer(endpoints.slice(0, count - 1)), keys);
        const after = owners(hashBalancer(endpoints), keys);
        const moved = movedShare(before, after);
        expect(moved).toBeGreaterThanOrEqual(0.5 / count);
        expect(moved).toBeLessThanOrEqual(1.6 / count);
      }),
      { numRuns: 25 },
    );
  });

  it('only moves keys onto an added endpoint or off a removed one', () => {
    const endpoints = plainEndpoints(10);
    const before = owners(hashBalancer(endpoints.slice(0, 9)), keys);
    const after = owners(hashBalancer(endpoints), keys);
    const strays = before.filter((owner, i) => owner !== after[i] && after[i] !== endpoints[9].key);
    // Maglev trades a little extra movement for balance; it stays a small part of the churn.
    expect(strays.length / keys.length).toBeLessThan(0.02);
  });

  it('spreads 100k keys over 10 endpoints within 10% of an even share', () => {
    const endpoints = plainEndpoints(10);
    const balancer = hashBalancer(endpoints);
    const counts = new Map<string, number>();
    for (let index = 0; index < 100_000; index++) {
      const owner = balancer.pick({ hashKey: `session-${index}` })?.key ?? '';
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(1000);
  });

  it('gives keys in proportion to endpoint weight', () => {
    const endpoints = endpointStates([{ weight: 1 }, { weight: 1 }, { weight: 2 }]);
    const balancer = hashBalancer(endpoints);
    const heavy = owners(balancer, keys).filter((owner) => owner === endpoints[2].key).length;
    expect(heavy / keys.length).toBeGreaterThan(0.47);
    expect(heavy / keys.length).toBeLessThan(0.53);
  });

  it('sizes its table as a prime of at least 100 slots per endpoint and at least 65537', () => {
    expect(maglevTableSize(1)).toBe(65_537);
    expect(maglevTableSize(655)).toBe(65_537);
    for (const count of [656, 1000, 5000, 10_000, 40_000]) {
      const size = maglevTableSize(count);
      expect(isPrime(size)).toBe(true);
      expect(size).toBeGreaterThanOrEqual(100 * count);
    }
    // The size depends on the count alone and changes only at powers of two.
    expect(maglevTableSize(9_999)).toBe(maglevTableSize(10_000));
  });

  it('balances requests without a hash key by peak-EWMA load', () => {
    const endpoints = plainEndpoints(2);
    endpoints[0].pending = 4;
    const balancer = hashBalancer(endpoints);
    for (let turn = 0; turn < 100; turn++) expect(balancer.pick({})).toBe(endpoints[1]);
  });

  it('sends a key whose endpoint is avoided to the same next endpoint every time', () => {
    const endpoints = plainEndpoints(8);
    const balancer = hashBalancer(endpoints);
    for (const hashKey of keys.slice(0, 200)) {
      const owner = balancer.pick({ hashKey });
      const avoid = new Set([owner?.key ?? '']);
      const next = balancer.pick({ hashKey, avoid });
      expect(next).not.toBe(owner);
      expect(endpoints).toContain(next);
      expect(balancer.pick({ hashKey, avoid })).toBe(next);
    }
  });

  it('finds the one endpoint not avoided, and ignores avoid when all are avoided', () => {
    const endpoints = plainEndpoints(6);
    const balancer = hashBalancer(endpoints);
    const allButLast = new Set(endpoints.slice(0, 5).map((endpoint) => endpoint.key));
    const all = new Set(endpoints.map((endpoint) => endpoint.key));
    for (const hashKey of keys.slice(0, 100)) {
      expect(balancer.pick({ hashKey, avoid: allButLast })).toBe(endpoints[5]);
      expect(balancer.pick({ hashKey, avoid: all })).toBe(balancer.pick({ hashKey }));
    }
  });

  it('returns undefined when no endpoint is eligible', () => {
    const endpoints = plainEndpoints(3);
    const balancer = new ConsistentHashBalancer(mulberry32(43));
    expect(balancer.pick({ hashKey: 'a' })).toBeUndefined();
    balancer.update(endpoints, endpoints);
    balancer.update([], endpoints);
    expect(balancer.pick({ hashKey: 'a' })).toBeUndefined();
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.option(fc.string(), { nil: undefined }), { minLength: 1, maxLength: 20 }),
        (count, hashKeys) => {
          const endpoints = plainEndpoints(count);
          const balancer = hashBalancer(endpoints);
          for (const hashKey of hashKeys) expect(endpoints).toContain(balancer.pick({ hashKey }));
        },
      ),
      { numRuns: 30 },
    );
  });
});
