import { describe, expect, it } from 'vitest';
import { EndpointState } from './endpoint-state.js';

describe('EndpointState load', () => {
  const endpoint = { address: '127.0.0.1', port: 1 };

  it('is zero for a new idle endpoint, so the balancer probes it', () => {
    expect(new EndpointState(endpoint, { clock: () => 0, defaultRttMs: 30 }).load).toBe(0);
  });

  it('costs the default RTT per queued request until the first answer is measured', () => {
    const state = new EndpointState(endpoint, { clock: () => 0, defaultRttMs: 30 });
    state.pending = 1;
    expect(state.load).toBe(60);
  });

  it('is the measured estimate times pending plus one afterwards', () => {
    const state = new EndpointState(endpoint, { clock: () => 0, defaultRttMs: 30 });
    state.latency.observe(4);
    expect(state.load).toBe(4);
    state.pending = 2;
    expect(state.load).toBe(12);
  });
});
