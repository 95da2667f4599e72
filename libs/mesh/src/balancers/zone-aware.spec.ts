import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointState } from '../endpoint-state.js';
import type { Balancer } from './balancer.js';
import { createBalancer } from './index.js';
import { balancerContext, countPicks, endpointStates } from './test-support.js';
import { zoneAwareBalancerFactory } from './zone-aware.js';

const zoneAware = zoneAwareBalancerFactory(createBalancer);

function zoned(options: Record<string, unknown> = {}, seed = 61): Balancer {
  return zoneAware({ zone: 'a', within: 'round-robin', ...options }, balancerContext(seed));
}

/** Ten endpoints in zone a, then ten in zone b. */
function twoZones(): { local: EndpointState[]; remote: EndpointState[]; all: EndpointState[] } {
  const all = endpointStates([
    ...Array.from({ length: 10 }, () => ({ zone: 'a' })),
    ...Array.from({ length: 10 }, () => ({ zone: 'b' })),
  ]);
  return { local: all.slice(0, 10), remote: all.slice(10), all };
}

function localShare(balancer: Balancer, local: readonly EndpointState[], picks: number): number {
  const keys = new Set(local.map((endpoint) => endpoint.key));
  const counts = countPicks(balancer, picks);
  let localPicks = 0;
  for (const [key, count] of counts) if (keys.has(key)) localPicks += count;
  return localPicks / picks;
}

describe('ZoneAwareBalancer', () => {
  it('keeps all traffic in the local zone while it is healthy', () => {
    const { local, all } = twoZones();
    const balancer = zoned();
    balancer.update(all, all);
    expect(localShare(balancer, local, 10_000)).toBe(1);
  });

  it('stays local with exactly minHealthyShare of the local zone eligible', () => {
    const { local, remote, all } = twoZones();
    const balancer = zoned();
    balancer.update([...local.slice(0, 7), ...remote], all);
    expect(localShare(balancer, local, 10_000)).toBe(1);
  });

  it('spills to every zone once the local eligible share falls below minHealthyShare', () => {
    const { local, remote, all } = twoZones();
    const balancer = zoned();
    balancer.update([...local.slice(0, 6), ...remote], all);
    // Round-robin over 6 local + 10 remote endpoints.
    expect(localShare(balancer, local, 16_000)).toBe(6 / 16);
  });

  it('spills when local mean pending exceeds overloadFactor x (remote mean + 1), and returns', () => {
    const { local, remote, all } = twoZones();
    const balancer = zoned();
    balancer.update(all, all);
    for (const endpoint of remote) endpoint.pending = 1;
    for (const endpoint of local) endpoint.pending = 4; // 4 = 2 x (1 + 1): not above
    expect(localShare(balancer, local, 1000)).toBe(1);
    for (const endpoint of local) endpoint.pending = 5;
    expect(localShare(balancer, local, 2000)).toBe(0.5);
    for (const endpoint of local) endpoint.pending = 0;
    expect(localShare(balancer, local, 1000)).toBe(1);
  });

  it('uses every zone when no local endpoint is eligible', () => {
    const { remote, all } = twoZones();
    const balancer = zoned();
    balancer.update(remote, all);
    const counts = countPicks(balancer, 1000);
    expect([...counts.keys()].sort()).toEqual(remote.map((endpoint) => endpoint.key).sort());
  });

  it('leaves the zone for a retry when every local endpoint is avoided', () => {
    const { local, remote, all } = twoZones();
    const balancer = zoned();
    balancer.update(all, all);
    const avoid = new Set(local.map((endpoint) => endpoint.key));
    for (let turn = 0; turn < 100; turn++) {
      expect(remote).toContain(balancer.pick({ avoid }));
    }
    const everything = new Set(all.map((endpoint) => endpoint.key));
    expect(all).toContain(balancer.pick({ avoid: everything }));
  });

  it('prefers another local endpoint to a remote one when only one is avoided', () => {
    const { local, all } = twoZones();
    const balancer = zoned();
    balancer.update(all, all);
    const avoid = new Set([local[0].key]);
    for (let turn = 0; turn < 100; turn++) {
      expect(local.slice(1)).toContain(balancer.pick({ avoid }));
    }
  });

  it('returns undefined when no endpoint is eligible', () => {
    const { all } = twoZones();
    const balancer = zoned();
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], all);
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ zone: fc.constantFrom('a', 'b', 'c'), eligible: fc.boolean() }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer(),
        (described, seed) => {
          const all = endpointStates(described.map(({ zone }) => ({ zone })));
          const eligible = all.filter((_, index) => described[index].eligible);
          const balancer = zoned({ within: 'peak-ewma' }, seed);
          balancer.update(eligible, all);
          for (let turn = 0; turn < 20; turn++) {
            const chosen = balancer.pick({});
            if (eligible.length === 0) expect(chosen).toBeUndefined();
            else expect(eligible).toContain(chosen);
          }
        },
      ),
    );
  });
});

describe('zone-aware balancer options', () => {
  const context = balancerContext();
  const rejected: [string, Record<string, unknown>][] = [
    ['a missing zone', {}],
    ['an empty zone', { zone: '' }],
    ['a zone that is not a string', { zone: 3 }],
    ['minHealthyShare above 1', { zone: 'a', minHealthyShare: 1.5 }],
    ['a negative minHealthyShare', { zone: 'a', minHealthyShare: -0.1 }],
    ['minHealthyShare that is not a number', { zone: 'a', minHealthyShare: '0.7' }],
    ['overloadFactor below 1', { zone: 'a', overloadFactor: 0.5 }],
    ['overloadFactor NaN', { zone: 'a', overloadFactor: Number.NaN }],
  ];

  for (const [description, options] of rejected) {
    it(`rejects ${description} with ERR_INVALID_BALANCER_OPTIONS`, () => {
      expect(() => zoneAware(options, context)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_BALANCER_OPTIONS' }),
      );
    });
  }

  it('names the option and what is allowed', () => {
    expect(() => zoneAware({ zone: 'a', minHealthyShare: 2 }, context)).toThrow(
      /"minHealthyShare".*a number from 0 to 1/,
    );
  });

  it('rejects an unknown `within` with ERR_UNKNOWN_BALANCER', () => {
    expect(() => zoneAware({ zone: 'a', within: 'nearest' }, context)).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_BALANCER' }),
    );
  });
});
