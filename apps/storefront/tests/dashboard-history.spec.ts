import { describe, expect, it } from 'vitest';
import { DEFAULT_DASHBOARD_SERVICES } from '../src/config.js';
import type { EdgeView } from '../src/dashboard/dashboard-view.js';
import { DecisionLog, describeDecision } from '../src/dashboard/decision-log.js';
import { InstanceHistory } from '../src/dashboard/instance-history.js';
import type { MeshReading, MeshReadingView } from '../src/dashboard/mesh-reading.js';
import { computeServiceNodes } from '../src/dashboard/service-graph.js';

function reading(at: number, instance: string, calls: number, shed = 0): MeshReading {
  const view: MeshReadingView = {
    service: 'storefront',
    instance,
    ready: true,
    draining: false,
    inFlight: 0,
    shed: { maxConcurrent: shed, maxEventLoopDelayMs: 0 },
    upstreams: [
      {
        name: 'catalog',
        breaker: 'closed',
        panic: false,
        endpoints: [],
        calls: { calls, failed: 0, durationCounts: [calls] },
      },
    ],
    recentEvents: [],
  };
  return { at, view };
}

describe('InstanceHistory', () => {
  it('keeps the last reading at or before the window start as the baseline', () => {
    const history = new InstanceHistory(5_000);
    for (let second = 0; second <= 8; second += 1) {
      history.record(reading(second * 1_000, 'a', second * 10));
    }
    const window = history.window()!;
    expect(window.baseline!.at).toBe(3_000);
    expect(window.latest.at).toBe(8_000);
    expect(window.seconds).toBe(5);
  });

  it('has no baseline for a first reading, and drops a baseline gone stale during a pause', () => {
    const history = new InstanceHistory(5_000);
    history.record(reading(0, 'a', 0));
    expect(history.window()).toMatchObject({ baseline: undefined, seconds: 0 });
    history.record(reading(60_000, 'a', 100));
    expect(history.window()).toMatchObject({ baseline: undefined, seconds: 0 });
  });

  it('starts again when the instance id changes or a counter goes back', () => {
    const history = new InstanceHistory(60_000);
    history.record(reading(0, 'a', 50));
    history.record(reading(1_000, 'a', 60));
    expect(history.window()!.baseline!.at).toBe(0);
    history.record(reading(2_000, 'b', 70));
    expect(history.window()!.baseline).toBeUndefined();
    expect(history.restarts).toBe(1);
    history.record(reading(3_000, 'b', 80));
    history.record(reading(4_000, 'b', 5));
    expect(history.window()!.baseline).toBeUndefined();
    history.record(reading(5_000, 'b', 6, 3));
    history.record(reading(6_000, 'b', 7, 1));
    expect(history.window()!.baseline).toBeUndefined();
    expect(history.restarts).toBe(3);
  });
});

describe('DecisionLog', () => {
  const source = { service: 'storefront', replica: 'storefront-1', identity: 'storefront-abc' };
  const names = (key: string): string => (key === '127.0.0.1:1' ? 'catalog-1' : key);

  it('merges readings without repeats and keeps the newest, newest first', () => {
    const log = new DecisionLog(3);
    const events = [1, 2, 3, 4].map((at) => ({
      type: 'retry',
      upstream: 'catalog',
      endpoint: '127.0.0.1:1',
      attempt: 1,
      reason: 'status 503',
      at,
    }));
    log.add(source, events.slice(0, 2), names);
    log.add(source, events, names);
    expect(log.list().map((decision) => decision.at)).toEqual([4, 3, 2]);
    expect(log.list()[0]).toMatchObject({
      type: 'retry',
      caller: 'storefront',
      callerReplica: 'storefront-1',
      upstream: 'catalog',
      replica: 'catalog-1',
      detail: 'retry 1 after status 503 from catalog-1',
    });
    // Another instance's identical event is another decision.
    log.add({ ...source, identity: 'storefront-def' }, [events[3]!], names);
    expect(log.list().map((decision) => decision.at)).toEqual([4, 4, 3]);
  });

  it('describes every kind of decision in plain words', () => {
    const at = 0;
    const upstream = 'catalog';
    expect(
      describeDecision(
        { type: 'eject', upstream, at, reason: 'consecutive-failures', durationMs: 30_000 },
        'catalog-2',
      ),
    ).toBe('ejected catalog-2 for 30 s (consecutive-failures)');
    expect(describeDecision({ type: 'uneject', upstream, at }, 'catalog-2')).toBe(
      'catalog-2 is back in rotation',
    );
    expect(describeDecision({ type: 'health-check', upstream, at, healthy: false }, 'c-1')).toBe(
      'c-1 failed its health check',
    );
    expect(
      describeDecision({ type: 'panic', upstream, at, active: true, healthy: 1, total: 3 }, 'x'),
    ).toBe('panic: 1 of 3 endpoints healthy, balancing over all');
    expect(describeDecision({ type: 'breaker', upstream, at, state: 'open' }, 'x')).toBe(
      'breaker opened: failing fast',
    );
    expect(describeDecision({ type: 'breaker', upstream, at, state: 'close' }, 'x')).toBe(
      'breaker closed again',
    );
    expect(
      describeDecision({ type: 'retry-refused', upstream, at, reason: 'budget' }, 'catalog-1'),
    ).toBe('retry refused (budget) after a failure from catalog-1');
    expect(describeDecision({ type: 'hedge', upstream, at, afterMs: 12 }, 'catalog-3')).toBe(
      'hedged to catalog-3 after 12 ms',
    );
    expect(describeDecision({ type: 'hedge-won', upstream, at }, 'catalog-3')).toBe(
      'the hedge to catalog-3 answered first',
    );
    expect(
      describeDecision({ type: 'fault', upstream, at, delayMs: 200, abortStatus: 503 }, 'x'),
    ).toBe('injected fault: delay 200 ms, abort 503');
    expect(describeDecision({ type: 'something-new', upstream, at }, 'x')).toBe('something-new');
  });
});

describe('computeServiceNodes', () => {
  const edge = (caller: string, upstream: string): EdgeView => ({
    caller,
    upstream,
    calls: 0,
    failed: 0,
    requestsPerSecond: 0,
    errorRate: 0,
    p50Ms: null,
    p99Ms: null,
    breaker: 'closed',
    panic: false,
    health: 'idle',
  });

  it('puts each service in the column of its shortest call path from an entry point', () => {
    const shop = [
      edge('loadgen', 'storefront'),
      edge('storefront', 'catalog'),
      edge('storefront', 'cart'),
      edge('storefront', 'checkout'),
      edge('checkout', 'catalog'),
      edge('checkout', 'cart'),
      edge('checkout', 'shipping'),
      edge('checkout', 'payments'),
    ];
    const depths = Object.fromEntries(
      computeServiceNodes([...DEFAULT_DASHBOARD_SERVICES], shop, []).map((node) => [
        node.service,
        node.depth,
      ]),
    );
    expect(depths).toEqual({
      loadgen: 0,
      storefront: 1,
      catalog: 2,
      cart: 2,
      checkout: 2,
      shipping: 3,
      payments: 3,
    });
  });
});
