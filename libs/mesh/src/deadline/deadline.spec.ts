import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MeshConfigError, MeshError } from '../errors.js';
import {
  DEADLINE_HEADER,
  Deadline,
  DeadlineExceededError,
  MAX_DEADLINE_MS,
  currentDeadline,
  formatDeadlineHeader,
  parseDeadlineHeader,
  withDeadline,
} from './deadline.js';

function fakeClock(start = 1_000): { clock: () => number; advance: (ms: number) => void } {
  let now = start;
  return {
    clock: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('Deadline arithmetic', () => {
  it('expires `ms` after it is created, on the clock it was given', () => {
    const { clock, advance } = fakeClock(1_000);
    const deadline = Deadline.after(250, clock);
    expect(deadline.expiresAt).toBe(1_250);
    expect(deadline.remainingMs()).toBe(250);
    expect(deadline.expired).toBe(false);
    advance(249.5);
    expect(deadline.remainingMs()).toBe(0.5);
    expect(deadline.expired).toBe(false);
    advance(0.5);
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.expired).toBe(true);
    advance(100);
    expect(deadline.remainingMs()).toBe(-100);
    expect(deadline.expired).toBe(true);
  });

  it('is already expired when given no budget', () => {
    const { clock } = fakeClock();
    expect(Deadline.after(0, clock).expired).toBe(true);
    expect(Deadline.after(-5, clock).expired).toBe(true);
  });

  it('rejects a budget that is not a finite number', () => {
    expect(() => Deadline.after(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_DEADLINE' }),
    );
    expect(() => Deadline.after(Number.POSITIVE_INFINITY)).toThrow(MeshConfigError);
  });

  it('defaults to the monotonic clock', () => {
    const deadline = Deadline.after(10_000);
    expect(deadline.remainingMs()).toBeGreaterThan(9_000);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(10_000);
  });

  it('min picks the earlier deadline and ignores undefined', () => {
    const { clock } = fakeClock();
    const early = Deadline.after(100, clock);
    const late = Deadline.after(200, clock);
    expect(early.min(late)).toBe(early);
    expect(late.min(early)).toBe(early);
    expect(late.min(undefined)).toBe(late);
  });
});

describe('formatDeadlineHeader', () => {
  it('sends the remaining budget as whole milliseconds, floored', () => {
    const { clock, advance } = fakeClock();
    const deadline = Deadline.after(1_000, clock);
    advance(0.7);
    expect(formatDeadlineHeader(deadline)).toBe('999');
  });

  it('sends 0 once the deadline has passed, never a negative number', () => {
    const { clock, advance } = fakeClock();
    const deadline = Deadline.after(10, clock);
    advance(50);
    expect(formatDeadlineHeader(deadline)).toBe('0');
  });

  it('caps the budget at MAX_DEADLINE_MS so the server accepts it', () => {
    const { clock } = fakeClock();
    expect(formatDeadlineHeader(Deadline.after(MAX_DEADLINE_MS * 2, clock))).toBe(
      String(MAX_DEADLINE_MS),
    );
  });

  it('round-trips through parseDeadlineHeader on another clock', () => {
    const sender = fakeClock(5_000);
    const receiver = fakeClock(987_654);
    const sent = Deadline.after(300, sender.clock);
    sender.advance(20);
    const parsed = parseDeadlineHeader(formatDeadlineHeader(sent), receiver.clock);
    expect(parsed.kind).toBe('valid');
    if (parsed.kind !== 'valid') return;
    expect(parsed.deadline.remainingMs()).toBe(280);
    expect(parsed.deadline.expiresAt).toBe(987_654 + 280);
  });
});

describe('withDeadline and currentDeadline', () => {
  it('has no current deadline outside withDeadline', () => {
    expect(currentDeadline()).toBeUndefined();
  });

  it('makes the deadline current inside fn and returns what fn returns', () => {
    const deadline = Deadline.after(100, fakeClock().clock);
    const result = withDeadline(deadline, () => currentDeadline());
    expect(result).toBe(deadline);
  });

  it('keeps the earlier deadline when an inner call asks for a later one', () => {
    const { clock } = fakeClock();
    const outer = Deadline.after(100, clock);
    const inner = Deadline.after(500, clock);
    expect(withDeadline(outer, () => withDeadline(inner, () => currentDeadline()))).toBe(outer);
  });

  it('takes the inner deadline when it is earlier, and restores the outer one after', () => {
    const { clock } = fakeClock();
    const outer = Deadline.after(500, clock);
    const inner = Deadline.after(100, clock);
    withDeadline(outer, () => {
      expect(withDeadline(inner, () => currentDeadline())).toBe(inner);
      expect(currentDeadline()).toBe(outer);
    });
  });

  it('survives await, setTimeout and promise chains', async () => {
    const deadline = Deadline.after(1_000, fakeClock().clock);
    const seen = await withDeadline(deadline, async () => {
      await sleep(1);
      const afterAwait = currentDeadline();
      const inTimer = await new Promise<Deadline | undefined>((resolve) =>
        setTimeout(() => resolve(currentDeadline()), 1),
      );
      const inChain = await Promise.resolve()
        .then(() => sleep(1))
        .then(() => currentDeadline());
      return [afterAwait, inTimer, inChain];
    });
    expect(seen).toEqual([deadline, deadline, deadline]);
  });

  it('keeps concurrent requests apart', async () => {
    const { clock } = fakeClock();
    const first = Deadline.after(100, clock);
    const second = Deadline.after(200, clock);
    const seen = await Promise.all([
      withDeadline(first, async () => {
        await sleep(5);
        return currentDeadline();
      }),
      withDeadline(second, async () => {
        await sleep(1);
        return currentDeadline();
      }),
    ]);
    expect(seen).toEqual([first, second]);
  });

  it('does not leak outside fn, even while fn is still running', async () => {
    const deadline = Deadline.after(1_000, fakeClock().clock);
    const running = withDeadline(deadline, () => sleep(5).then(() => currentDeadline()));
    expect(currentDeadline()).toBeUndefined();
    expect(await running).toBe(deadline);
    expect(currentDeadline()).toBeUndefined();
  });
});

describe('Deadline.signal', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with DeadlineExceededError when the deadline passes (real timers)', async () => {
    const deadline = Deadline.after(40);
    const signal = deadline.signal();
    expect(signal.aborted).toBe(false);
    const aborted = new Promise<unknown>((resolve) =>
      signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
    );
    const reason = await aborted;
    expect(deadline.expired).toBe(true);
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect(reason).toBeInstanceOf(MeshError);
    expect((reason as DeadlineExceededError).code).toBe('ERR_DEADLINE_EXCEEDED');
  });

  it('aborts exactly at expiry on a fake clock (fake timers)', () => {
    vi.useFakeTimers();
    const { clock, advance } = fakeClock();
    const deadline = Deadline.after(100, clock);
    const signal = deadline.signal();
    const tick = (ms: number): void => {
      advance(ms);
      vi.advanceTimersByTime(ms);
    };
    tick(99);
    expect(signal.aborted).toBe(false);
    tick(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('waits for the clock, not the timer, when they disagree', () => {
    vi.useFakeTimers();
    const { clock, advance } = fakeClock();
    const deadline = Deadline.after(100, clock);
    const signal = deadline.signal();
    advance(99.6);
    vi.advanceTimersByTime(100);
    expect(signal.aborted).toBe(false);
    advance(0.4);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
  });

  it('is created once and reused', () => {
    const deadline = Deadline.after(1_000);
    expect(deadline.signal()).toBe(deadline.signal());
  });

  it('is already aborted for an expired deadline', () => {
    const signal = Deadline.after(0).signal();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it("does not keep the process alive: its timer is unref'd", () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    try {
      Deadline.after(60_000).signal();
      expect(setTimer).toHaveBeenCalledTimes(1);
      const timer = setTimer.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      clearTimeout(timer);
    } finally {
      setTimer.mockRestore();
    }
  });
});

describe('DeadlineExceededError', () => {
  it('carries a stable code, the upstream, and advice to raise the edge timeout', () => {
    const error = new DeadlineExceededError('orders', 'no time left to call it');
    expect(error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(error.upstream).toBe('orders');
    expect(error.advice).toMatch(/edge/);
    expect(error.advice).toMatch(/faster/);
    expect(error.message).toContain('no time left to call it');
    expect(error.name).toBe('DeadlineExceededError');
  });
});

describe('parseDeadlineHeader', () => {
  const { clock } = fakeClock(10_000);
  const reasonFor = (value: string | string[]): string | undefined => {
    const result = parseDeadlineHeader(value, clock);
    return result.kind === 'invalid' ? result.reason : undefined;
  };

  it('reports a missing header as absent', () => {
    expect(parseDeadlineHeader(undefined, clock)).toEqual({ kind: 'absent' });
  });

  it('reports an empty list of values as absent', () => {
    expect(parseDeadlineHeader([], clock)).toEqual({ kind: 'absent' });
  });

  it('reads whole milliseconds as a deadline that far from now', () => {
    const result = parseDeadlineHeader('1500', clock);
    expect(result.kind === 'valid' && result.deadline.expiresAt).toBe(11_500);
  });

  it('accepts exactly MAX_DEADLINE_MS', () => {
    expect(parseDeadlineHeader(String(MAX_DEADLINE_MS), clock).kind).toBe('valid');
  });

  it('accepts the same value repeated (as node joins it, and as an array)', () => {
    expect(parseDeadlineHeader('250, 250', clock).kind).toBe('valid');
    expect(parseDeadlineHeader(['250', '250'], clock).kind).toBe('valid');
  });

  it('reads 0 as expired', () => {
    expect(parseDeadlineHeader('0', clock)).toEqual({ kind: 'expired' });
  });

  it('gives the reason a 400 body can carry, for a negative value', () => {
    expect(reasonFor('-5')).toBe(
      `${DEADLINE_HEADER} must be whole milliseconds between 0 and 86400000, got "-5"`,
    );
  });

  it('rejects a non-numeric value', () => {
    expect(reasonFor('soon')).toMatch(/got "soon"$/);
  });

  it('rejects a fractional value', () => {
    expect(reasonFor('12.5')).toMatch(/got "12.5"$/);
  });

  it('rejects an exponent', () => {
    expect(reasonFor('1e3')).toMatch(/got "1e3"$/);
  });

  it('rejects a sign on a positive value', () => {
    expect(reasonFor('+100')).toMatch(/got "\+100"$/);
  });

  it('rejects a unit suffix', () => {
    expect(reasonFor('100ms')).toMatch(/got "100ms"$/);
  });

  it('rejects an empty value', () => {
    expect(reasonFor('')).toMatch(/got ""$/);
  });

  it('rejects a value above MAX_DEADLINE_MS', () => {
    expect(reasonFor(String(MAX_DEADLINE_MS + 1))).toMatch(/got "86400001"$/);
  });

  it('rejects a huge value without losing precision into a valid one', () => {
    expect(reasonFor('9'.repeat(400))).toMatch(/^x-trellis-deadline-ms must be whole/);
  });

  it('truncates a hostile value in the reason', () => {
    expect(reasonFor('x'.repeat(10_000))?.length).toBeLessThan(200);
  });

  it('rejects differing values sent as an array', () => {
    expect(reasonFor(['100', '200'])).toBe(
      `${DEADLINE_HEADER} must be sent once, got differing values "100", "200"`,
    );
  });

  it('rejects differing values joined by node', () => {
    expect(reasonFor('100, 200')).toMatch(/differing values "100", "200"$/);
  });
});
