import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../endpoint.js';
import { MeshConfigError } from '../errors.js';
import type { Balancer, BalancerContext, BalancerSpec } from './balancer.js';
import { createBalancer } from './index.js';
import { WeightedBalancer, weightedBalancerFactory } from './weighted.js';
import { balancerContext, countPicks, endpointStates, mulberry32 } from './test-support.js';

const weighted = weightedBalancerFactory(createBalancer);

function canary(options: Record<string, unknown>, seed = 51): Balancer {
  return weighted(options, balancerContext(seed));
}

function versions(...labels: (string | undefined)[]): Partial<Endpoint>[] {
  return labels.map((version) => (version === undefined ? {} : { metadata: { version } }));
}

function shareOf(counts: Map<string, number>, keys: readonly string[], total: number): number {
  return keys.reduce((sum, key) => sum + (counts.get(key) ?? 0), 0) / total;
}

describe('weighted balancer, by endpoint weight', () => {
  it('picks in proportion to weight, each share within a point over 100k picks', () => {
    const endpoints = endpointStates([{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }]);
    const balancer = new WeightedBalancer(mulberry32(52));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 100_000);
    endpoints.forEach((endpoint, index) => {
      expect(Math.abs((counts.get(endpoint.key) ?? 0) / 100_000 - (index + 1) / 10)).toBeLessThan(
        0.01,
      );
    });
  });

  it('gives weight-0 endpoints nothing while another has weight, and equal shares if none has', () => {
    const endpoints = endpointStates([{ weight: 0 }, { weight: 5 }, { weight: 0 }]);
    const balancer = new WeightedBalancer(mulberry32(53));
    balancer.update(endpoints, endpoints);
    expect(countPicks(balancer, 1000)).toEqual(new Map([[endpoints[1].key, 1000]]));
    const zeros = [endpoints[0], endpoints[2]];
    balancer.update(zeros, endpoints);
    const counts = countPicks(balancer, 10_000);
    expect(Math.abs((counts.get(zeros[0].key) ?? 0) - 5000)).toBeLessThan(300);
  });

  it('avoids an avoided endpoint, even the heaviest, and falls back to a weight-0 one', () => {
    const endpoints = endpointStates([{ weight: 9 }, { weight: 1 }, { weight: 0 }]);
    const balancer = new WeightedBalancer(mulberry32(54));
    balancer.update(endpoints, endpoints);
    const avoidHeavy = new Set([endpoints[0].key]);
    expect(countPicks(balancer, 500, { avoid: avoidHeavy })).toEqual(
      new Map([[endpoints[1].key, 500]]),
    );
    const avoidWeighted = new Set([endpoints[0].key, endpoints[1].key]);
    expect(balancer.pick({ avoid: avoidWeighted })).toBe(endpoints[2]);
  });

  it('returns undefined when no endpoint is eligible', () => {
    const balancer = new WeightedBalancer(mulberry32(55));
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], endpointStates([{}]));
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 1000, noNaN: true })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer(),
        (weights, seed) => {
          const endpoints = endpointStates(weights.map((weight) => ({ weight })));
          const balancer = new WeightedBalancer(mulberry32(seed));
          balancer.update(endpoints, endpoints);
          for (let turn = 0; turn < 20; turn++) expect(endpoints).toContain(balancer.pick({}));
        },
      ),
    );
  });
});

describe('weighted balancer, canary split by label', () => {
  const split = { by: 'version', split: { v1: 90, v2: 10 } };

  it('splits 90/10 between versions within 2 points over 100k picks', () => {
    const endpoints = endpointStates(versions('v1', 'v1', 'v1', 'v2'));
    const balancer = canary(split);
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 100_000);
    expect(Math.abs(shareOf(counts, [endpoints[3].key], 100_000) - 0.1)).toBeLessThan(0.02);
  });

  it('gives a group with no eligible endpoint its share to the others', () => {
    const endpoints = endpointStates(versions('v1', 'v2', 'v3', 'v3'));
    const balancer = canary({ by: 'version', split: { v1: 50, v2: 25, v3: 25 } });
    balancer.update(
      endpoints.filter((endpoint) => endpoint !== endpoints[0]),
      endpoints,
    );
    const counts = countPicks(balancer, 100_000);
    expect(counts.has(endpoints[0].key)).toBe(false);
    expect(Math.abs(shareOf(counts, [endpoints[1].key], 100_000) - 0.5)).toBeLessThan(0.02);
  });

  it('sends nothing to endpoints whose label has no share while a shared group is eligible', () => {
    const endpoints = endpointStates(versions('v1', 'v3', undefined, 'v2'));
    const balancer = canary({ by: 'version', split: { v1: 90, v2: 0 } });
    balancer.update(endpoints, endpoints);
    expect(countPicks(balancer, 1000)).toEqual(new Map([[endpoints[0].key, 1000]]));
  });

  it('uses the endpoints outside the split when nothing else is eligible', () => {
    const endpoints = endpointStates(versions('v1', 'v3', undefined));
    const balancer = canary(split);
    balancer.update(endpoints.slice(1), endpoints);
    const counts = countPicks(balancer, 1000);
    expect(shareOf(counts, [endpoints[1].key, endpoints[2].key], 1000)).toBe(1);
  });

  it('balances inside each group with the `within` strategy', () => {
    const endpoints = endpointStates(versions('v1', 'v1', 'v1', 'v2', 'v2'));
    const balancer = canary({ ...split, within: 'round-robin' });
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 30_000);
    const v1 = endpoints.slice(0, 3).map((endpoint) => counts.get(endpoint.key) ?? 0);
    expect(Math.max(...v1) - Math.min(...v1)).toBeLessThanOrEqual(1);
  });

  it('leaves a group whose only endpoint is avoided for another group', () => {
    const endpoints = endpointStates(versions('v1', 'v2'));
    const balancer = canary(split);
    balancer.update(endpoints, endpoints);
    const avoid = new Set([endpoints[0].key]);
    expect(countPicks(balancer, 1000, { avoid })).toEqual(new Map([[endpoints[1].key, 1000]]));
    const all = new Set(endpoints.map((endpoint) => endpoint.key));
    expect(endpoints).toContain(balancer.pick({ avoid: all }));
  });

  it('does not retry onto endpoints outside the split while one inside is eligible', () => {
    const endpoints = endpointStates(versions('v1', 'v3'));
    const balancer = canary(split);
    balancer.update(endpoints, endpoints);
    expect(balancer.pick({ avoid: new Set([endpoints[0].key]) })).toBe(endpoints[0]);
  });

  it('returns undefined when no endpoint is eligible', () => {
    const balancer = canary(split);
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], endpointStates(versions('v1')));
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('v1', 'v2', 'v3', undefined), { minLength: 1, maxLength: 20 }),
        fc.integer(),
        (labels, seed) => {
          const endpoints = endpointStates(versions(...labels));
          const balancer = canary(split, seed);
          balancer.update(endpoints, endpoints);
          for (let turn = 0; turn < 20; turn++) expect(endpoints).toContain(balancer.pick({}));
        },
      ),
    );
  });
});

describe('weighted balancer options', () => {
  const context: BalancerContext = balancerContext();
  const rejected: [string, Record<string, unknown>][] = [
    ['a negative share', { by: 'version', split: { v1: 90, v2: -10 } }],
    ['all-zero shares', { by: 'version', split: { v1: 0, v2: 0 } }],
    ['an empty split', { by: 'version', split: {} }],
    ['a share that is not a number', { by: 'version', split: { v1: '90' } }],
    ['an infinite share', { by: 'version', split: { v1: Infinity } }],
    ['a split that is an array', { by: 'version', split: [90, 10] }],
    ['a split without "by"', { split: { v1: 90 } }],
    ['"by" without a split', { by: 'version' }],
    ['an empty "by"', { by: '', split: { v1: 1 } }],
    ['"within" without a split', { within: 'random' }],
  ];

  for (const [description, options] of rejected) {
    it(`rejects ${description} with ERR_INVALID_BALANCER_OPTIONS`, () => {
      expect(() => weighted(options, context)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_BALANCER_OPTIONS' }),
      );
    });
  }

  it('names the option and what is allowed', () => {
    let error: unknown;
    try {
      weighted({ by: 'version', split: { v1: -1 } }, context);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(MeshConfigError);
    expect((error as MeshConfigError).message).toContain('"split.v1"');
    expect((error as MeshConfigError).advice).toContain('>= 0');
  });

  it('passes a bad `within` to createBalancer, which rejects it', () => {
    const within: BalancerSpec = 'no-such-balancer';
    expect(() => weighted({ by: 'version', split: { v1: 1 }, within }, context)).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_BALANCER' }),
    );
  });
});
