import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import {
  DEFAULT_PANIC_THRESHOLD_PERCENT,
  OutlierDetector,
  panicEligible,
  validatePanicThresholdPercent,
  type EjectionReason,
  type OutlierDetectionOptions,
} from './outlier-detector.js';

function keys(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `10.0.0.${index + 1}:8080`);
}

function setup(options: OutlierDetectionOptions = {}, endpointCount = 10) {
  let now = 0;
  const ejections: Array<{ key: string; reason: EjectionReason; durationMs: number }> = [];
  const unejections: string[] = [];
  const detector = new OutlierDetector(options, () => now, {
    onEject: (key, reason, durationMs) => ejections.push({ key, reason, durationMs }),
    onUneject: (key) => unejections.push(key),
  });
  const endpoints = keys(endpointCount);
  detector.setEndpoints(endpoints);
  return {
    detector,
    endpoints,
    ejections,
    unejections,
    advance: (ms: number) => {
      now += ms;
    },
    fail: (key: string, times: number) => {
      for (let i = 0; i < times; i += 1) detector.recordFailure(key);
    },
  };
}

describe('OutlierDetector consecutive failures', () => {
  it('ejects after 5 consecutive failures', () => {
    const { detector, endpoints, fail } = setup();
    fail(endpoints[0], 4);
    expect(detector.isEjected(endpoints[0])).toBe(false);
    fail(endpoints[0], 1);
    expect(detector.isEjected(endpoints[0])).toBe(true);
    expect(detector.ejectedCount).toBe(1);
  });

  it('does not eject after 4 failures, a success and 4 more failures', () => {
    const { detector, endpoints, fail } = setup();
    fail(endpoints[0], 4);
    detector.recordSuccess(endpoints[0]);
    expect(detector.snapshot(endpoints[0])?.consecutiveFailures).toBe(0);
    fail(endpoints[0], 4);
    expect(detector.isEjected(endpoints[0])).toBe(false);
  });

  it('never ejects on failures when consecutiveFailures is 0', () => {
    const { detector, endpoints, fail } = setup({ consecutiveFailures: 0 });
    fail(endpoints[0], 1_000);
    expect(detector.isEjected(endpoints[0])).toBe(false);
  });

  it('ejects for 30 s, then 60 s the second time, capped at 300 s', () => {
    const { detector, endpoints, ejections, fail, advance } = setup();
    const key = endpoints[0];
    fail(key, 5);
    expect(detector.snapshot(key)?.ejectedUntil).toBe(30_000);
    advance(29_999);
    expect(detector.isEjected(key)).toBe(true);
    advance(1);
    expect(detector.isEjected(key)).toBe(false);

    fail(key, 5);
    advance(59_999);
    expect(detector.isEjected(key)).toBe(true);
    advance(1);
    expect(detector.isEjected(key)).toBe(false);

    for (let round = 3; round <= 12; round += 1) {
      fail(key, 5);
      advance(ejections.at(-1)?.durationMs ?? 0);
    }
    expect(ejections.map(({ durationMs }) => durationMs)).toEqual([
      30_000, 60_000, 90_000, 120_000, 150_000, 180_000, 210_000, 240_000, 270_000, 300_000,
      300_000, 300_000,
    ]);
  });

  it('ignores results while ejected and starts counting afresh after un-ejection', () => {
    const { detector, endpoints, ejections, fail, advance } = setup();
    const key = endpoints[0];
    fail(key, 5);
    fail(key, 20);
    expect(ejections).toHaveLength(1);
    advance(30_000);
    fail(key, 4);
    expect(detector.isEjected(key)).toBe(false);
    expect(detector.snapshot(key)?.consecutiveFailures).toBe(4);
  });

  it('decays timesEjected by one per healthy interval after un-ejection', () => {
    const { detector, endpoints, ejections, fail, advance } = setup();
    const key = endpoints[0];
    fail(key, 5);
    advance(30_000);
    detector.sweep();
    expect(detector.snapshot(key)?.timesEjected).toBe(1);
    fail(key, 5);
    advance(60_000);
    detector.sweep();
    expect(detector.snapshot(key)).toMatchObject({ ejected: false, timesEjected: 2 });
    advance(10_000);
    detector.sweep();
    expect(detector.snapshot(key)?.timesEjected).toBe(1);
    advance(10_000);
    detector.sweep();
    advance(10_000);
    detector.sweep();
    expect(detector.snapshot(key)?.timesEjected).toBe(0);
    fail(key, 5);
    expect(ejections.at(-1)?.durationMs).toBe(30_000);
  });
});

describe('OutlierDetector max ejection percent', () => {
  it.each([
    [5, 1],
    [10, 1],
    [20, 2],
  ])('with %i endpoints at 10%% ejects at most %i', (endpointCount, allowed) => {
    const { detector, endpoints, ejections, fail } = setup({}, endpointCount);
    for (const key of endpoints) fail(key, 5);
    expect(detector.ejectedCount).toBe(allowed);
    expect(ejections).toHaveLength(allowed);
    expect(endpoints.filter((key) => detector.isEjected(key))).toEqual(endpoints.slice(0, allowed));
  });

  it('always allows one ejection, even at 0%', () => {
    const { detector, endpoints, fail } = setup({ maxEjectionPercent: 0 }, 3);
    fail(endpoints[0], 5);
    fail(endpoints[1], 5);
    expect(detector.ejectedCount).toBe(1);
  });

  it('resets the failure count of a skipped ejection', () => {
    const { detector, endpoints, fail } = setup({}, 5);
    fail(endpoints[0], 5);
    fail(endpoints[1], 5);
    expect(detector.isEjected(endpoints[1])).toBe(false);
    expect(detector.snapshot(endpoints[1])?.consecutiveFailures).toBe(0);
  });

  it('frees a slot when an ejection expires', () => {
    const { detector, endpoints, fail, advance } = setup({}, 5);
    fail(endpoints[0], 5);
    advance(30_000);
    fail(endpoints[1], 5);
    expect(detector.isEjected(endpoints[1])).toBe(true);
    expect(detector.isEjected(endpoints[0])).toBe(false);
  });

  it('honours the cap for external ejections', () => {
    const { detector, endpoints, ejections } = setup({}, 5);
    expect(detector.eject(endpoints[0], 'active-check')).toBe(true);
    expect(detector.eject(endpoints[0], 'active-check')).toBe(true);
    expect(detector.eject(endpoints[1], 'active-check')).toBe(false);
    expect(ejections).toEqual([{ key: endpoints[0], reason: 'active-check', durationMs: 30_000 }]);
  });
});

describe('OutlierDetector success rate', () => {
  function traffic(
    detector: OutlierDetector,
    key: string,
    requests: number,
    successRate: number,
  ): void {
    const successes = Math.round(requests * successRate);
    for (let i = 0; i < requests; i += 1) {
      // Interleaved so consecutive failures never trigger on their own.
      if (i % 2 === 0 && i / 2 < requests - successes) detector.recordFailure(key);
      else detector.recordSuccess(key);
    }
  }

  it('ejects the outlier among 6 hosts at 100 requests each', () => {
    const { detector, endpoints, ejections } = setup({}, 6);
    for (const key of endpoints.slice(0, 5)) traffic(detector, key, 100, 0.99);
    traffic(detector, endpoints[5], 100, 0.5);
    detector.sweep();
    expect(ejections).toEqual([{ key: endpoints[5], reason: 'success-rate', durationMs: 30_000 }]);
  });

  it('ejects no one when all hosts succeed alike', () => {
    const { detector, endpoints, ejections } = setup({}, 6);
    for (const key of endpoints) traffic(detector, key, 100, 0.9);
    detector.sweep();
    expect(ejections).toEqual([]);
  });

  it('ejects no one with fewer than 5 hosts at volume', () => {
    const { detector, endpoints, ejections } = setup({}, 6);
    for (const key of endpoints.slice(0, 3)) traffic(detector, key, 100, 1);
    traffic(detector, endpoints[3], 99, 1);
    traffic(detector, endpoints[4], 100, 0.5);
    detector.sweep();
    expect(ejections).toEqual([]);
  });

  it('ejects no one when hosts have fewer than 100 requests', () => {
    const { detector, endpoints, ejections } = setup({}, 6);
    for (const key of endpoints.slice(0, 5)) traffic(detector, key, 99, 1);
    traffic(detector, endpoints[5], 99, 0.5);
    detector.sweep();
    expect(ejections).toEqual([]);
  });

  it('resets the window at each sweep', () => {
    const { detector, endpoints, ejections } = setup({}, 6);
    for (const key of endpoints.slice(0, 5)) traffic(detector, key, 60, 1);
    traffic(detector, endpoints[5], 60, 0.5);
    expect(detector.snapshot(endpoints[5])?.successRate).toBe(0.5);
    detector.sweep();
    expect(detector.snapshot(endpoints[5])?.successRate).toBeUndefined();
    for (const key of endpoints.slice(0, 5)) traffic(detector, key, 60, 1);
    traffic(detector, endpoints[5], 60, 0.5);
    detector.sweep();
    expect(ejections).toEqual([]);
  });

  it('does nothing when disabled', () => {
    const { detector, endpoints, ejections } = setup({ successRate: false }, 6);
    for (const key of endpoints.slice(0, 5)) traffic(detector, key, 100, 1);
    traffic(detector, endpoints[5], 100, 0.5);
    detector.sweep();
    expect(ejections).toEqual([]);
  });

  it('honours custom thresholds', () => {
    const { detector, endpoints, ejections } = setup(
      { successRate: { minimumHosts: 3, requestVolume: 10, stdevFactor: 1 } },
      3,
    );
    traffic(detector, endpoints[0], 10, 1);
    traffic(detector, endpoints[1], 10, 1);
    traffic(detector, endpoints[2], 10, 0.6);
    detector.sweep();
    expect(ejections.map(({ key }) => key)).toEqual([endpoints[2]]);
  });
});

describe('OutlierDetector endpoint set and events', () => {
  it('forgets removed keys and ignores results for unknown keys', () => {
    const { detector, endpoints, fail } = setup({}, 3);
    fail(endpoints[0], 5);
    detector.setEndpoints(endpoints.slice(1));
    expect(detector.snapshot(endpoints[0])).toBeUndefined();
    expect(detector.isEjected(endpoints[0])).toBe(false);
    expect(detector.ejectedCount).toBe(0);
    fail('10.9.9.9:80', 10);
    expect(detector.snapshot('10.9.9.9:80')).toBeUndefined();
    expect(detector.eject('10.9.9.9:80', 'active-check')).toBe(false);
    detector.setEndpoints(endpoints);
    expect(detector.snapshot(endpoints[0])).toMatchObject({ ejected: false, timesEjected: 0 });
  });

  it('keeps state of endpoints that stay in the set', () => {
    const { detector, endpoints, fail } = setup({}, 3);
    fail(endpoints[1], 3);
    detector.setEndpoints([endpoints[1], '10.0.0.99:8080']);
    expect(detector.snapshot(endpoints[1])?.consecutiveFailures).toBe(3);
  });

  it('fires onEject with reason and duration, and onUneject when the time has passed', () => {
    const { detector, endpoints, ejections, unejections, fail, advance } = setup({}, 3);
    fail(endpoints[0], 5);
    expect(ejections).toEqual([
      { key: endpoints[0], reason: 'consecutive-failures', durationMs: 30_000 },
    ]);
    advance(30_000);
    expect(unejections).toEqual([]);
    detector.sweep();
    expect(unejections).toEqual([endpoints[0]]);
    detector.sweep();
    expect(unejections).toEqual([endpoints[0]]);
  });

  it('reports a snapshot of the state', () => {
    const { detector, endpoints, fail } = setup({}, 3);
    detector.recordSuccess(endpoints[0]);
    fail(endpoints[0], 3);
    expect(detector.snapshot(endpoints[0])).toEqual({
      ejected: false,
      timesEjected: 0,
      ejectedUntil: undefined,
      consecutiveFailures: 3,
      successRate: 0.25,
    });
    expect(detector.intervalMs).toBe(10_000);
  });
});

describe('panicEligible', () => {
  const all = ['a', 'b', 'c', 'd'];

  it('returns the healthy endpoints at or above the threshold', () => {
    expect(panicEligible(['a', 'b'], all, 50)).toEqual({ eligible: ['a', 'b'], panic: false });
    expect(panicEligible(all, all, 100)).toEqual({ eligible: all, panic: false });
  });

  it('returns all endpoints below the threshold', () => {
    expect(panicEligible(['a'], all, 50)).toEqual({ eligible: all, panic: true });
    expect(panicEligible([], all, DEFAULT_PANIC_THRESHOLD_PERCENT)).toEqual({
      eligible: all,
      panic: true,
    });
    expect(panicEligible(['a', 'b', 'c'], all, 100)).toEqual({ eligible: all, panic: true });
  });

  it('never panics at threshold 0 or with no endpoints at all', () => {
    expect(panicEligible([], all, 0)).toEqual({ eligible: [], panic: false });
    expect(panicEligible([], [], 50)).toEqual({ eligible: [], panic: false });
  });

  it('validates a threshold once, defaulting to 50', () => {
    expect(DEFAULT_PANIC_THRESHOLD_PERCENT).toBe(50);
    expect(validatePanicThresholdPercent(undefined)).toBe(50);
    expect(validatePanicThresholdPercent(0)).toBe(0);
    expect(() => validatePanicThresholdPercent(101)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OUTLIER_OPTIONS' }),
    );
  });
});

describe('OutlierDetector options', () => {
  const clock = () => 0;

  it.each<[string, unknown]>([
    ['consecutiveFailures', { consecutiveFailures: -1 }],
    ['consecutiveFailures', { consecutiveFailures: 2.5 }],
    ['baseEjectionMs', { baseEjectionMs: 0 }],
    ['baseEjectionMs', { baseEjectionMs: Number.POSITIVE_INFINITY }],
    ['maxEjectionMs', { maxEjectionMs: Number.NaN }],
    ['maxEjectionMs', { baseEjectionMs: 10_000, maxEjectionMs: 5_000 }],
    ['maxEjectionPercent', { maxEjectionPercent: 101 }],
    ['maxEjectionPercent', { maxEjectionPercent: -1 }],
    ['maxEjectionPercent', { maxEjectionPercent: '10' }],
    ['successRate', { successRate: true }],
    ['successRate.minimumHosts', { successRate: { minimumHosts: 0 } }],
    ['successRate.requestVolume', { successRate: { requestVolume: 1.5 } }],
    ['successRate.stdevFactor', { successRate: { stdevFactor: -1 } }],
    ['intervalMs', { intervalMs: 0 }],
    ['object', null],
  ])('rejects a bad %s (%j)', (name, options) => {
    const attempt = () => new OutlierDetector(options as OutlierDetectionOptions, clock);
    expect(attempt).toThrow(
      expect.objectContaining({
        name: MeshConfigError.name,
        code: 'ERR_INVALID_OUTLIER_OPTIONS',
        message: expect.stringContaining(name),
      }),
    );
  });

  it('accepts the empty object and explicit defaults', () => {
    expect(() => new OutlierDetector({}, clock)).not.toThrow();
    expect(
      () =>
        new OutlierDetector(
          {
            consecutiveFailures: 5,
            baseEjectionMs: 30_000,
            maxEjectionMs: 300_000,
            maxEjectionPercent: 10,
            successRate: { minimumHosts: 5, requestVolume: 100, stdevFactor: 1.9 },
            intervalMs: 10_000,
          },
          clock,
        ),
    ).not.toThrow();
  });
});
