import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import { LatencyWindow, MIN_QUANTILE_SAMPLES } from './latency-window.js';

function filled(samples: number[], capacity?: number): LatencyWindow {
  const window = new LatencyWindow(capacity);
  for (const sample of samples) window.record(sample);
  return window;
}

describe('LatencyWindow', () => {
  it('knows no quantile until it holds 20 samples', () => {
    const window = new LatencyWindow();
    for (let i = 1; i < MIN_QUANTILE_SAMPLES; i++) window.record(i);
    expect(window.count).toBe(19);
    expect(window.quantile(0.5)).toBeUndefined();
    window.record(20);
    expect(window.quantile(0.5)).toBe(10);
  });

  it('answers nearest-rank quantiles', () => {
    const window = filled(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(window.quantile(0)).toBe(1);
    expect(window.quantile(0.5)).toBe(50);
    expect(window.quantile(0.95)).toBe(95);
    expect(window.quantile(0.99)).toBe(99);
    expect(window.quantile(1)).toBe(100);
  });

  it('clamps q into 0..1 and answers undefined for NaN', () => {
    const window = filled(Array.from({ length: 20 }, (_, i) => i));
    expect(window.quantile(-1)).toBe(0);
    expect(window.quantile(2)).toBe(19);
    expect(window.quantile(Number.NaN)).toBeUndefined();
  });

  it('ignores samples that are not finite or below zero', () => {
    const window = filled([Number.NaN, Infinity, -5]);
    expect(window.count).toBe(0);
  });

  it('keeps only the last `capacity` samples', () => {
    const window = filled(
      Array.from({ length: 64 }, () => 1_000),
      64,
    );
    for (let i = 0; i < 64; i++) window.record(5);
    expect(window.count).toBe(64);
    expect(window.quantile(1)).toBe(5);
  });

  it('re-sorts at most every 64 records, so quantiles may lag that far behind', () => {
    const window = filled(Array.from({ length: 20 }, () => 10));
    expect(window.quantile(1)).toBe(10);
    for (let i = 0; i < 63; i++) window.record(500);
    expect(window.quantile(1)).toBe(10);
    window.record(500);
    expect(window.quantile(1)).toBe(500);
  });

  it.each([0, 19, 1.5, Number.NaN, Infinity])('rejects capacity %s', (capacity) => {
    const create = () => new LatencyWindow(capacity);
    expect(create).toThrow(MeshConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HEDGE_OPTIONS' }));
  });

  it('answers within the recorded min..max, monotonically in q', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 20, maxLength: 300 }),
        fc.integer({ min: 20, max: 256 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 20 }),
        (samples, capacity, qs) => {
          const window = filled(samples, capacity);
          const min = Math.min(...samples);
          const max = Math.max(...samples);
          const answers = [...qs].sort((a, b) => a - b).map((q) => window.quantile(q));
          for (const answer of answers) {
            expect(answer).toBeDefined();
            expect(answer).toBeGreaterThanOrEqual(min);
            expect(answer).toBeLessThanOrEqual(max);
          }
          for (let i = 1; i < answers.length; i++) {
            expect(answers[i]).toBeGreaterThanOrEqual(answers[i - 1] as number);
          }
        },
      ),
    );
  });
});
