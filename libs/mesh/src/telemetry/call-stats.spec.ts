import { describe, expect, it } from 'vitest';
import { CALL_DURATION_BOUNDS_MS, CallStats, durationQuantile } from './call-stats.js';

describe('CallStats', () => {
  it('counts calls, failures and puts each duration in the first bucket whose bound holds it', () => {
    const stats = new CallStats();
    stats.record(0.01, false);
    stats.record(CALL_DURATION_BOUNDS_MS[10]!, false);
    stats.record(CALL_DURATION_BOUNDS_MS[10]! + 0.001, true);
    stats.record(10 * 60_000, true);
    const totals = stats.totals();
    expect(totals.calls).toBe(4);
    expect(totals.failed).toBe(2);
    expect(totals.durationCounts).toHaveLength(CALL_DURATION_BOUNDS_MS.length + 1);
    expect(totals.durationCounts[0]).toBe(1);
    expect(totals.durationCounts[10]).toBe(1);
    expect(totals.durationCounts[11]).toBe(1);
    expect(totals.durationCounts.at(-1)).toBe(1);
  });

  it('ignores a NaN or negative duration in the first bucket rather than losing the call', () => {
    const stats = new CallStats();
    stats.record(Number.NaN, false);
    stats.record(-3, false);
    expect(stats.totals().durationCounts[0]).toBe(2);
  });

  it('has increasing bounds from 0.05 ms past 100 s', () => {
    expect(CALL_DURATION_BOUNDS_MS[0]).toBe(0.05);
    expect(CALL_DURATION_BOUNDS_MS.at(-1)).toBeGreaterThan(100_000);
    for (let index = 1; index < CALL_DURATION_BOUNDS_MS.length; index += 1) {
      expect(CALL_DURATION_BOUNDS_MS[index]).toBeGreaterThan(CALL_DURATION_BOUNDS_MS[index - 1]!);
    }
  });
});

describe('durationQuantile', () => {
  it('estimates quantiles within the 19% bucket width', () => {
    const stats = new CallStats();
    for (let ms = 1; ms <= 1000; ms += 1) stats.record(ms, false);
    const counts = stats.totals().durationCounts;
    expect(durationQuantile(counts, 0.5)).toBeGreaterThan(500 / 1.19);
    expect(durationQuantile(counts, 0.5)).toBeLessThan(500 * 1.19);
    expect(durationQuantile(counts, 0.99)).toBeGreaterThan(990 / 1.19);
    expect(durationQuantile(counts, 0.99)).toBeLessThan(990 * 1.19);
  });

  it('reads a window as the difference of two readings', () => {
    const stats = new CallStats();
    for (let index = 0; index < 100; index += 1) stats.record(1, false);
    const before = stats.totals().durationCounts;
    for (let index = 0; index < 100; index += 1) stats.record(300, false);
    const after = stats.totals().durationCounts;
    const window = after.map((count, index) => count - before[index]!);
    expect(durationQuantile(window, 0.5)).toBeGreaterThan(250);
  });

  it('is undefined when no call was counted', () => {
    expect(durationQuantile(new Array(10).fill(0), 0.5)).toBeUndefined();
  });
});
