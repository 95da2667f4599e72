import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import type { BalancerSpec } from './balancer.js';
import { balancerNames, createBalancer, defaultBalancer, registerBalancer } from './index.js';
import { RandomBalancer } from './random.js';
import { balancerContext, endpointStates } from './test-support.js';

const builtinNames = [
  'round-robin',
  'random',
  'least-request',
  'peak-ewma',
  'consistent-hash',
  'weighted',
  'zone-aware',
];

/** One spec per strategy and form, for the checks every balancer must pass. */
const everySpec: BalancerSpec[] = [
  'round-robin',
  'random',
  'least-request',
  'peak-ewma',
  'consistent-hash',
  'weighted',
  { name: 'weighted', by: 'version', split: { v1: 90, v2: 10 } },
  { name: 'weighted', by: 'version', split: { v1: 1, v2: 1 }, within: 'least-request' },
  { name: 'zone-aware', zone: 'a' },
  {
    name: 'zone-aware',
    zone: 'b',
    within: { name: 'weighted', by: 'version', split: { v1: 1, v2: 1 } },
  },
];

/** Endpoints labelled v1/v2 and spread over zones a/b with weights 1..3. */
function mixedEndpoints(count: number) {
  return endpointStates(
    Array.from({ length: count }, (_, index) => ({
      zone: index % 2 === 0 ? 'a' : 'b',
      weight: 1 + (index % 3),
      metadata: { version: index % 3 === 0 ? 'v2' : 'v1' },
    })),
  );
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof MeshConfigError ? error.code : `not a MeshConfigError: ${error}`;
  }
  return undefined;
}

describe('createBalancer', () => {
  it('knows the seven built-in strategies, with peak-ewma the default', () => {
    expect(balancerNames()).toEqual(expect.arrayContaining(builtinNames));
    expect(defaultBalancer).toBe('peak-ewma');
  });

  it('builds each built-in by name', () => {
    for (const name of builtinNames.filter((name) => name !== 'zone-aware')) {
      expect(createBalancer(name, balancerContext()).name).toBe(name);
    }
    expect(createBalancer({ name: 'zone-aware', zone: 'a' }, balancerContext()).name).toBe(
      'zone-aware',
    );
  });

  it('rejects an unknown name with ERR_UNKNOWN_BALANCER, listing the known names', () => {
    expect(() => createBalancer('least-conn', balancerContext())).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_BALANCER', upstream: 'test-upstream' }),
    );
    expect(() => createBalancer({ name: 'fastest' }, balancerContext())).toThrow(
      new RegExp(builtinNames.join(', ')),
    );
  });

  it('rejects an option the strategy does not have, naming it and the allowed ones', () => {
    expect(codeOf(() => createBalancer({ name: 'round-robin', seed: 1 }, balancerContext()))).toBe(
      'ERR_INVALID_BALANCER_OPTIONS',
    );
    expect(() =>
      createBalancer({ name: 'zone-aware', zone: 'a', minHealthShare: 0.5 }, balancerContext()),
    ).toThrow(/"minHealthShare".*zone, within, minHealthyShare, overloadFactor/);
  });

  it('rejects a spec without a name with ERR_INVALID_BALANCER_OPTIONS', () => {
    for (const spec of [42, null, undefined, ['random'], { name: 7 }, { zone: 'a' }]) {
      expect(codeOf(() => createBalancer(spec as unknown as BalancerSpec, balancerContext()))).toBe(
        'ERR_INVALID_BALANCER_OPTIONS',
      );
    }
  });

  it('rejects bad options of nested `within` specs', () => {
    const spec = { name: 'zone-aware', zone: 'a', within: { name: 'weighted', by: 'version' } };
    expect(codeOf(() => createBalancer(spec, balancerContext()))).toBe(
      'ERR_INVALID_BALANCER_OPTIONS',
    );
  });
});

describe('registerBalancer', () => {
  it('makes a custom strategy available by name, also inside `within`', () => {
    registerBalancer('coin', (_options, context) => new RandomBalancer(context.random));
    expect(balancerNames()).toContain('coin');
    const endpoints = mixedEndpoints(4);
    const balancer = createBalancer(
      { name: 'zone-aware', zone: 'a', within: 'coin' },
      balancerContext(),
    );
    balancer.update(endpoints, endpoints);
    expect(endpoints).toContain(balancer.pick({}));
  });

  it('refuses to replace a strategy that exists', () => {
    expect(
      codeOf(() => registerBalancer('random', () => createBalancer('random', balancerContext()))),
    ).toBe('ERR_DUPLICATE_BALANCER');
  });

  it('refuses an empty name', () => {
    expect(
      codeOf(() => registerBalancer('', () => createBalancer('random', balancerContext()))),
    ).toBe('ERR_INVALID_BALANCER_OPTIONS');
  });
});

describe.each(everySpec.map((spec) => [JSON.stringify(spec), spec] as const))(
  'every strategy: %s',
  (_label, spec) => {
    it('returns undefined while no endpoint is eligible', () => {
      const balancer = createBalancer(spec, balancerContext());
      expect(balancer.pick({})).toBeUndefined();
      expect(balancer.pick({ hashKey: 'k' })).toBeUndefined();
      const all = mixedEndpoints(6);
      balancer.update(all, all);
      balancer.update([], all);
      expect(balancer.pick({})).toBeUndefined();
      expect(balancer.pick({ hashKey: 'k' })).toBeUndefined();
    });

    it('always picks a member of the eligible set, and no avoided one while another exists', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 24 }),
          fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
          fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
          fc.array(fc.nat({ max: 5 }), { minLength: 24, maxLength: 24 }),
          fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
          fc.integer(),
          (count, eligibleFlags, avoidFlags, pending, hashKey, seed) => {
            const all = mixedEndpoints(count);
            all.forEach((endpoint, index) => (endpoint.pending = pending[index]));
            const eligible = all.filter((_, index) => eligibleFlags[index]);
            const avoid = new Set(all.filter((_, i) => avoidFlags[i]).map((e) => e.key));
            const balancer = createBalancer(spec, balancerContext(seed));
            balancer.update(eligible, all);
            const free = eligible.filter((endpoint) => !avoid.has(endpoint.key));
            for (let turn = 0; turn < 10; turn++) {
              const chosen = balancer.pick({ hashKey, avoid });
              if (eligible.length === 0) {
                expect(chosen).toBeUndefined();
                continue;
              }
              expect(eligible).toContain(chosen);
              if (free.length > 0) expect(free).toContain(chosen);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  },
);
