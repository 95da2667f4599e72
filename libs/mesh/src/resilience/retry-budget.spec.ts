import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

function budgetAt(options: RetryBudgetOptions = {}) {
  const time = { now: 0 };
  const budget = new RetryBudget(options, () => time.now);
  return { budget, time };
}

function withdrawUntilRefused(budget: RetryBudget): number {
  let granted = 0;
  while (budget.tryWithdraw()) granted += 1;
  return granted;
}

describe('RetryBudget', () => {
  it('defaults to 20% of requests plus 10 retries per second over 10 s', () => {
    const { budget } = budgetAt();
    expect(budget.stats).toEqual({ requests: 0, retries: 0, refused: 0, available: 100 });
    for (let i = 0; i < 50; i++) budget.recordRequest();
    expect(budget.stats.available).toBe(110);
  });

  it('caps a long full outage, where every request wants three retries, at the percentage', () => {
    const { budget, time } = budgetAt({ percent: 0.2, minRetriesPerSecond: 0 });
    let requests = 0;
    let retries = 0;
    // 100 requests per second for two minutes, each failing and asking for up to three retries.
    for (time.now = 0; time.now < 120_000; time.now += 10) {
      budget.recordRequest();
      requests += 1;
      for (let attempt = 0; attempt < 3 && budget.tryWithdraw(); attempt++) retries += 1;
      const { requests: inWindow, retries: retriedInWindow } = budget.stats;
      expect(retriedInWindow).toBeLessThanOrEqual(0.2 * inWindow);
    }
    expect(requests).toBe(12_000);
    expect(retries).toBeLessThanOrEqual(0.2 * requests);
    expect(retries).toBeGreaterThan(0.19 * requests);
  });

  it('adds the per-second floor on top of the percentage during an outage', () => {
    const { budget, time } = budgetAt({ percent: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 });
    let requests = 0;
    let retries = 0;
    for (time.now = 0; time.now < 60_000; time.now += 10) {
      budget.recordRequest();
      requests += 1;
      while (budget.tryWithdraw()) retries += 1;
      expect(budget.stats.retries).toBeLessThanOrEqual(0.2 * budget.stats.requests + 100);
    }
    // Over 60 s: 20% of 6000 requests, plus 10/s, plus at most one window of head start.
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 10 * 60 + 100);
    expect(retries).toBeGreaterThan(0.2 * requests + 10 * 60 - 100);
  });

  it('lets a quiet upstream retry a burst through the floor', () => {
    const { budget } = budgetAt({ minRetriesPerSecond: 2, windowMs: 5_000 });
    budget.recordRequest();
    // 0.2 * 1 + 2 * 5 = 10.2 retries allowed.
    expect(withdrawUntilRefused(budget)).toBe(10);
    expect(budget.stats).toEqual({ requests: 1, retries: 10, refused: 1, available: 0 });
  });

  it('refuses every retry when both the percentage and the floor are zero', () => {
    const { budget } = budgetAt({ percent: 0, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(budget.tryWithdraw()).toBe(false);
    expect(budget.stats.refused).toBe(1);
  });

  it('ages old buckets out of the sliding window', () => {
    const { budget, time } = budgetAt({ percent: 1, minRetriesPerSecond: 0, windowMs: 10_000 });
    for (let i = 0; i < 10; i++) budget.recordRequest();
    expect(withdrawUntilRefused(budget)).toBe(10);

    time.now = 5_000;
    for (let i = 0; i < 4; i++) budget.recordRequest();
    expect(withdrawUntilRefused(budget)).toBe(4);

    // Still inside the window of the first bucket: everything is counted.
    time.now = 9_999;
    expect(budget.stats).toEqual({ requests: 14, retries: 14, refused: 2, available: 0 });

    // The first second's bucket falls out; the one from t=5 s remains.
    time.now = 10_000;
    expect(budget.stats).toEqual({ requests: 4, retries: 4, refused: 1, available: 0 });

    time.now = 15_000;
    expect(budget.stats).toEqual({ requests: 0, retries: 0, refused: 0, available: 0 });
  });

  it('forgets everything after a gap much longer than the window', () => {
    const { budget, time } = budgetAt({ percent: 0, minRetriesPerSecond: 1, windowMs: 1_000 });
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    time.now = 1_000_000;
    expect(budget.stats).toEqual({ requests: 0, retries: 0, refused: 0, available: 1 });
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('keeps counting into the newest bucket when the clock steps back', () => {
    const { budget, time } = budgetAt({ percent: 1, minRetriesPerSecond: 0 });
    time.now = 50_000;
    budget.recordRequest();
    time.now = 10;
    budget.recordRequest();
    expect(budget.stats.requests).toBe(2);
    expect(withdrawUntilRefused(budget)).toBe(2);
  });

  it.each<[keyof RetryBudgetOptions, unknown]>([
    ['percent', -0.1],
    ['percent', 10.5],
    ['percent', Number.NaN],
    ['percent', '0.2'],
    ['minRetriesPerSecond', -1],
    ['minRetriesPerSecond', Number.POSITIVE_INFINITY],
    ['windowMs', 99],
    ['windowMs', Number.POSITIVE_INFINITY],
  ])('rejects %s = %s with a config error naming the option', (name, value) => {
    const create = () => new RetryBudget({ [name]: value } as RetryBudgetOptions, () => 0);
    expect(create).toThrow(MeshConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RETRY_OPTIONS' }));
    expect(create).toThrow(name);
  });

  it('accepts the edges of the valid ranges and treats undefined as the default', () => {
    expect(
      () => new RetryBudget({ percent: 0, minRetriesPerSecond: 0, windowMs: 100 }, () => 0),
    ).not.toThrow();
    expect(() => new RetryBudget({ percent: 10 }, () => 0)).not.toThrow();
    const { budget } = budgetAt({ percent: undefined, windowMs: undefined });
    expect(budget.stats.available).toBe(100);
  });
});
