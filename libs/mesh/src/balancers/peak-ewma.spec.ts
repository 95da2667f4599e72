import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointState } from '../endpoint-state.js';
import { PeakEwmaBalancer } from './peak-ewma.js';
import { countPicks, manualClock, mulberry32, plainEndpoints } from './test-support.js';

/**
 * Open-loop simulation: one request per millisecond; each pick raises the endpoint's pending
 * count, and the response lowers it again and feeds the endpoint's latency to its estimate.
 */
function simulate(latencies: readonly number[], requests: number, seed: number): number[] {
  const clock = manualClock();
  const endpoints = plainEndpoints(latencies.length, clock.now);
  const balancer = new PeakEwmaBalancer(mulberry32(seed));
  balancer.update(endpoints, endpoints);
  const inFlight: { endpoint: EndpointState; index: number; doneAt: number }[] = [];
  const picks = latencies.map(() => 0);
  for (let request = 0; request < requests; request++) {
    clock.advance(1);
    for (let flight = inFlight.length - 1; flight >= 0; flight--) {
      const { endpoint, index, doneAt } = inFlight[flight];
      if (doneAt > clock.now()) continue;
      endpoint.pending--;
      endpoint.latency.observe(latencies[index]);
      inFlight.splice(flight, 1);
    }
    const chosen = balancer.pick({});
    if (!chosen) throw new Error('no endpoint');
    const index = endpoints.indexOf(chosen);
    chosen.pending++;
    chosen.sent++;
    picks[index]++;
    inFlight.push({ endpoint: chosen, index, doneAt: clock.now() + latencies[index] });
  }
  return picks;
}

describe('PeakEwmaBalancer', () => {
  it('sends under 2% of requests to a replica with 20x the latency of the others', () => {
    const latencies = [200, 10, 10, 10, 10, 10, 10, 10, 10, 10];
    const picks = simulate(latencies, 30_000, 31);
    expect(picks[0] / 30_000).toBeLessThan(0.02);
    for (const fast of picks.slice(1)) expect(fast / 30_000).toBeGreaterThan(0.09);
  });

  it('picks the lower load, latency estimate x (pending + 1), of two endpoints', () => {
    const endpoints = plainEndpoints(2);
    endpoints[0].latency.observe(10);
    endpoints[0].pending = 3; // load 40
    endpoints[1].latency.observe(30);
    endpoints[1].pending = 0; // load 30
    const balancer = new PeakEwmaBalancer(mulberry32(32));
    balancer.update(endpoints, endpoints);
    expect(countPicks(balancer, 500)).toEqual(new Map([[endpoints[1].key, 500]]));
    endpoints[1].pending = 1; // load 60
    expect(countPicks(balancer, 500)).toEqual(new Map([[endpoints[0].key, 500]]));
  });

  it('tries a slow endpoint again once its estimate has decayed', () => {
    const clock = manualClock();
    const endpoints = plainEndpoints(2, clock.now);
    endpoints[0].latency.observe(500);
    endpoints[1].latency.observe(20);
    endpoints[1].pending = 1;
    const balancer = new PeakEwmaBalancer(mulberry32(33));
    balancer.update(endpoints, endpoints);
    expect(balancer.pick({})).toBe(endpoints[1]);
    clock.advance(60_000); // 500 x e^-6 is about 1.2 ms, below the fresh 20 ms sample x 2
    endpoints[1].latency.observe(20);
    expect(balancer.pick({})).toBe(endpoints[0]);
  });

  it('avoids the avoided endpoint even when it has the lowest load', () => {
    const endpoints = plainEndpoints(3);
    endpoints[1].pending = 1;
    endpoints[2].pending = 4;
    const balancer = new PeakEwmaBalancer(mulberry32(34));
    balancer.update(endpoints, endpoints);
    const counts = countPicks(balancer, 1000, { avoid: new Set([endpoints[0].key]) });
    expect(counts).toEqual(new Map([[endpoints[1].key, 1000]]));
  });

  it('ignores avoid when every endpoint is avoided', () => {
    const endpoints = plainEndpoints(2);
    const balancer = new PeakEwmaBalancer(mulberry32(35));
    balancer.update(endpoints, endpoints);
    const avoid = new Set(endpoints.map((endpoint) => endpoint.key));
    expect(endpoints).toContain(balancer.pick({ avoid }));
  });

  it('returns undefined when no endpoint is eligible', () => {
    const balancer = new PeakEwmaBalancer(mulberry32(36));
    expect(balancer.pick({})).toBeUndefined();
    balancer.update([], plainEndpoints(3));
    expect(balancer.pick({})).toBeUndefined();
  });

  it('always picks a member of the eligible set', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pending: fc.nat({ max: 9 }), rtt: fc.integer({ min: 1, max: 999 }) }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.integer(),
        (states, seed) => {
          const endpoints = plainEndpoints(states.length);
          endpoints.forEach((endpoint, index) => {
            endpoint.pending = states[index].pending;
            endpoint.latency.observe(states[index].rtt);
          });
          const balancer = new PeakEwmaBalancer(mulberry32(seed));
          balancer.update(endpoints, endpoints);
          for (let turn = 0; turn < 20; turn++) expect(endpoints).toContain(balancer.pick({}));
        },
      ),
    );
  });
});
