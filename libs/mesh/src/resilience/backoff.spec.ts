import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import { DEFAULT_BACKOFF_OPTIONS, fullJitterBackoff, resolveBackoffOptions } from './backoff.js';

const justBelowOne = 1 - Number.EPSILON;

describe('fullJitterBackoff', () => {
  it('doubles the cap with every retry, starting at baseMs, until maxMs', () => {
    const options = { baseMs: 25, maxMs: 1_000 };
    const caps = [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) =>
      fullJitterBackoff(attempt, options, () => justBelowOne),
    );
    expect(caps.map((cap) => Math.round(cap))).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('scales the cap by the random draw', () => {
    const options = { baseMs: 100, maxMs: 1_000 };
    expect(fullJitterBackoff(2, options, () => 0)).toBe(0);
    expect(fullJitterBackoff(2, options, () => 0.5)).toBe(100);
  });

  it('treats attempts below 1 as the first retry and huge ones as capped', () => {
    const options = { baseMs: 10, maxMs: 500 };
    expect(fullJitterBackoff(0, options, () => 0.5)).toBe(5);
    expect(fullJitterBackoff(5_000, options, () => 0.5)).toBe(250);
    expect(fullJitterBackoff(Number.NaN, options, () => 0.5)).toBe(5);
  });

  it('never waits with a zero base, however many retries came before', () => {
    expect(fullJitterBackoff(5_000, { baseMs: 0, maxMs: 500 }, () => 0.5)).toBe(0);
  });

  it('always waits within [0, min(maxMs, baseMs * 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 60_000, noNaN: true }),
        fc.double({ min: 0, max: 60_000, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, extraMs, draw) => {
          const options = { baseMs, maxMs: baseMs + extraMs };
          const wait = fullJitterBackoff(attempt, options, () => draw);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(options.maxMs);
          // 0 * 2^1024 would be NaN; a zero base means no growth at all.
          expect(wait).toBeLessThanOrEqual(baseMs === 0 ? 0 : baseMs * 2 ** (attempt - 1));
          expect(Number.isFinite(wait)).toBe(true);
        },
      ),
    );
  });
});

describe('resolveBackoffOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveBackoffOptions()).toEqual({ baseMs: 25, maxMs: 1_000 });
    expect(resolveBackoffOptions({ baseMs: 5 })).toEqual({ ...DEFAULT_BACKOFF_OPTIONS, baseMs: 5 });
  });

  it.each([{ baseMs: -1 }, { maxMs: Number.NaN }, { baseMs: Infinity }, { baseMs: 50, maxMs: 10 }])(
    'rejects %o with a config error',
    (options) => {
      const resolve = () => resolveBackoffOptions(options);
      expect(resolve).toThrow(MeshConfigError);
      expect(resolve).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RETRY_OPTIONS' }));
    },
  );
});
