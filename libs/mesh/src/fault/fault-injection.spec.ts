import { describe, expect, it, vi } from 'vitest';
import type { RandomSource } from '../clock.js';
import { MAX_DEADLINE_MS } from '../deadline/deadline.js';
import { MeshConfigError } from '../errors.js';
import {
  FAULT_HEADER,
  FaultInjector,
  parseFaultSpec,
  type FaultInjectionOptions,
} from './fault-injection.js';

/** A tiny seeded PRNG so distributions are reproducible. */
function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DECISIONS = 100_000;

/** Share of DECISIONS requests that got each fault, in percent. */
function measure(
  injector: FaultInjector,
  headers?: Record<string, string | string[] | undefined>,
): { delayed: number; aborted: number; both: number } {
  let delayed = 0;
  let aborted = 0;
  let both = 0;
  for (let i = 0; i < DECISIONS; i++) {
    const decision = injector.decide(headers);
    if (decision.delayMs > 0) delayed++;
    if (decision.abortStatus !== undefined) aborted++;
    if (decision.delayMs > 0 && decision.abortStatus !== undefined) both++;
  }
  const percent = (count: number): number => (count / DECISIONS) * 100;
  return { delayed: percent(delayed), aborted: percent(aborted), both: percent(both) };
}

function configError(code: string, fragment: string): unknown {
  return expect.objectContaining({
    name: 'MeshConfigError',
    code,
    message: expect.stringContaining(fragment),
  });
}

describe('FaultInjector when off', () => {
  it('is disabled without options and decides no fault without drawing', () => {
    const random = vi.fn(mulberry32(1));
    const injector = new FaultInjector(undefined, random);
    expect(injector.enabled).toBe(false);
    expect(injector.decide({ [FAULT_HEADER]: 'abort=503' })).toEqual({
      delayMs: 0,
      abortStatus: undefined,
    });
    expect(random).not.toHaveBeenCalled();
  });

  it('is disabled with empty options', () => {
    expect(new FaultInjector({}, mulberry32(1)).enabled).toBe(false);
  });

  it('is enabled by allowHeader alone, and does nothing without the header', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.enabled).toBe(true);
    expect(injector.decide({})).toEqual({ delayMs: 0, abortStatus: undefined });
    expect(injector.decide(undefined)).toEqual({ delayMs: 0, abortStatus: undefined });
  });
});

describe('FaultInjector percentages', () => {
  it('delays and aborts the configured share of requests, within a point over 100k', () => {
    const injector = new FaultInjector(
      { delay: { percent: 30, ms: 250 }, abort: { percent: 10, status: 503 } },
      mulberry32(42),
    );
    const { delayed, aborted, both } = measure(injector);
    expect(delayed).toBeGreaterThan(29);
    expect(delayed).toBeLessThan(31);
    expect(aborted).toBeGreaterThan(9);
    expect(aborted).toBeLessThan(11);
    // Independent draws: 30% of 10%.
    expect(both).toBeGreaterThan(2);
    expect(both).toBeLessThan(4);
  });

  it('handles fractional percentages', () => {
    const injector = new FaultInjector({ abort: { percent: 2.5, status: 500 } }, mulberry32(7));
    const { aborted } = measure(injector);
    expect(aborted).toBeGreaterThan(1.5);
    expect(aborted).toBeLessThan(3.5);
  });

  it('returns the configured delay and status', () => {
    const injector = new FaultInjector(
      { delay: { percent: 100, ms: 250 }, abort: { percent: 100, status: 503 } },
      mulberry32(1),
    );
    expect(injector.decide(undefined)).toEqual({ delayMs: 250, abortStatus: 503 });
  });

  it('never injects at 0%, even when the random source gives 0', () => {
    const injector = new FaultInjector(
      { delay: { percent: 0, ms: 250 }, abort: { percent: 0, status: 503 } },
      () => 0,
    );
    expect(measure(injector)).toEqual({ delayed: 0, aborted: 0, both: 0 });
  });

  it('always injects at 100%, even when the random source gives almost 1', () => {
    const injector = new FaultInjector(
      { delay: { percent: 100, ms: 250 }, abort: { percent: 100, status: 503 } },
      () => 0.999_999_999,
    );
    expect(measure(injector)).toEqual({ delayed: 100, aborted: 100, both: 100 });
  });

  it('is not affected when the caller mutates its options afterwards', () => {
    const options: FaultInjectionOptions = { abort: { percent: 100, status: 503 } };
    const injector = new FaultInjector(options, mulberry32(1));
    options.abort = { percent: 0, status: 500 };
    expect(injector.decide(undefined).abortStatus).toBe(503);
  });
});

describe('FaultInjector header', () => {
  it('ignores the header unless allowHeader is set', () => {
    const injector = new FaultInjector({ delay: { percent: 0, ms: 10 } }, mulberry32(1));
    expect(injector.decide({ [FAULT_HEADER]: 'delay=200;abort=503' })).toEqual({
      delayMs: 0,
      abortStatus: undefined,
    });
  });

  it('applies each fault named without a percentage to every request', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    const headers = { [FAULT_HEADER]: 'delay=200;abort=503' };
    expect(measure(injector, headers)).toEqual({ delayed: 100, aborted: 100, both: 100 });
    expect(injector.decide(headers)).toEqual({ delayMs: 200, abortStatus: 503 });
  });

  it('applies percentages given with @', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(99));
    const { delayed, aborted } = measure(injector, { [FAULT_HEADER]: 'delay=200@50;abort=503@10' });
    expect(delayed).toBeGreaterThan(49);
    expect(delayed).toBeLessThan(51);
    expect(aborted).toBeGreaterThan(9);
    expect(aborted).toBeLessThan(11);
  });

  it('accepts one fault alone', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.decide({ [FAULT_HEADER]: 'abort=429' })).toEqual({
      delayMs: 0,
      abortStatus: 429,
    });
  });

  it('tolerates spaces and a trailing separator', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.decide({ [FAULT_HEADER]: ' delay = 20 @ 100 ; abort=500 ; ' })).toEqual({
      delayMs: 20,
      abortStatus: 500,
    });
  });

  it('reads repeated header lines, as an array or joined by node with commas', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    const expected = { delayMs: 20, abortStatus: 502 };
    expect(injector.decide({ [FAULT_HEADER]: ['delay=20', 'abort=502'] })).toEqual(expected);
    expect(injector.decide({ [FAULT_HEADER]: 'delay=20, abort=502' })).toEqual(expected);
  });

  it('finds the header whatever its case', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.decide({ 'X-Trellis-Fault': 'abort=503' }).abortStatus).toBe(503);
  });

  it('replaces the configured fault of the same kind and keeps the other', () => {
    const injector = new FaultInjector(
      { allowHeader: true, delay: { percent: 100, ms: 5 }, abort: { percent: 100, status: 500 } },
      mulberry32(1),
    );
    expect(injector.decide({ [FAULT_HEADER]: 'delay=300' })).toEqual({
      delayMs: 300,
      abortStatus: 500,
    });
  });

  it('treats an empty header as asking for nothing', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.decide({ [FAULT_HEADER]: '' })).toEqual({ delayMs: 0, abortStatus: undefined });
  });

  describe('a malformed header is ignored and reported, configured faults still apply', () => {
    const injector = new FaultInjector(
      { allowHeader: true, abort: { percent: 100, status: 500 } },
      mulberry32(1),
    );
    const cases: Array<[string, string]> = [
      ['unknown fault', 'explode=1'],
      ['no value', 'delay'],
      ['non-numeric delay', 'delay=soon'],
      ['negative delay', 'delay=-5'],
      ['fractional delay', 'delay=1.5'],
      ['delay beyond a day', `delay=${MAX_DEADLINE_MS + 1}`],
      ['status below 400', 'abort=302'],
      ['status above 599', 'abort=600'],
      ['percentage above 100', 'abort=503@101'],
      ['negative percentage', 'abort=503@-1'],
      ['non-numeric percentage', 'abort=503@half'],
      ['two percentages', 'abort=503@10@20'],
      ['a fault given twice', 'delay=10;delay=20'],
      ['one bad clause among good ones', 'delay=10;abort=nope'],
    ];
    it.each(cases)('%s: %s', (_label, value) => {
      const decision = injector.decide({ [FAULT_HEADER]: value });
      expect(decision).toEqual({
        delayMs: 0,
        abortStatus: 500,
        headerProblem: expect.stringMatching(/^x-trellis-fault ignored: /),
      });
    });
  });

  it('says what was wrong with a malformed header', () => {
    const injector = new FaultInjector({ allowHeader: true }, mulberry32(1));
    expect(injector.decide({ [FAULT_HEADER]: 'abort=302' }).headerProblem).toBe(
      'x-trellis-fault ignored: abort must be an HTTP status from 400 to 599, got "302"',
    );
  });
});

describe('FaultInjector option validation', () => {
  const cases: Array<[string, unknown]> = [
    ['options', null],
    ['options', 'delay=10'],
    ['delay', { delay: 10 }],
    ['delay.percent', { delay: { percent: -1, ms: 10 } }],
    ['delay.percent', { delay: { percent: 101, ms: 10 } }],
    ['delay.percent', { delay: { percent: Number.NaN, ms: 10 } }],
    ['delay.percent', { delay: { percent: '50', ms: 10 } }],
    ['delay.percent', { delay: { ms: 10 } }],
    ['delay.ms', { delay: { percent: 50, ms: -1 } }],
    ['delay.ms', { delay: { percent: 50, ms: MAX_DEADLINE_MS + 1 } }],
    ['delay.ms', { delay: { percent: 50, ms: Number.POSITIVE_INFINITY } }],
    ['delay.ms', { delay: { percent: 50 } }],
    ['delay.milliseconds', { delay: { percent: 50, ms: 10, milliseconds: 10 } }],
    ['abort', { abort: 'yes' }],
    ['abort.percent', { abort: { percent: 200, status: 503 } }],
    ['abort.status', { abort: { percent: 10, status: 399 } }],
    ['abort.status', { abort: { percent: 10, status: 600 } }],
    ['abort.status', { abort: { percent: 10, status: 503.5 } }],
    ['abort.status', { abort: { percent: 10, status: '503' } }],
    ['abort.code', { abort: { percent: 10, status: 503, code: 503 } }],
    ['allowHeader', { allowHeader: 'yes' }],
    ['dealy', { dealy: { percent: 10, ms: 10 } }],
  ];
  it.each(cases)('rejects a bad %s: %o', (field, options) => {
    expect(() => new FaultInjector(options as FaultInjectionOptions, mulberry32(1))).toThrow(
      configError('ERR_INVALID_FAULT_OPTIONS', ` option ${field}`),
    );
  });

  it('tells how to fix it', () => {
    expect(() => new FaultInjector({ abort: { percent: 10, status: 200 } }, mulberry32(1))).toThrow(
      expect.objectContaining({ advice: expect.stringContaining('from 400 to 599') }),
    );
  });

  it('accepts the boundaries', () => {
    expect(
      () =>
        new FaultInjector(
          {
            delay: { percent: 0, ms: MAX_DEADLINE_MS },
            abort: { percent: 100, status: 599 },
            allowHeader: false,
          },
          mulberry32(1),
        ),
    ).not.toThrow();
    expect(
      () => new FaultInjector({ abort: { percent: 0, status: 400 } }, mulberry32(1)),
    ).not.toThrow();
  });
});

describe('parseFaultSpec', () => {
  const source = 'TRELLIS_FAULT_CATALOG';

  it('reads faults with percentages', () => {
    expect(parseFaultSpec('delay=300@50;abort=503@10', source)).toEqual({
      delay: { percent: 50, ms: 300 },
      abort: { percent: 10, status: 503 },
    });
  });

  it('applies a fault without a percentage to every request', () => {
    expect(parseFaultSpec('delay=300', source)).toEqual({ delay: { percent: 100, ms: 300 } });
  });

  it('reads an empty spec as no faults', () => {
    expect(parseFaultSpec('', source)).toEqual({});
  });

  it('gives options a FaultInjector accepts', () => {
    const injector = new FaultInjector(parseFaultSpec('abort=503@0.5', source), mulberry32(1));
    expect(injector.enabled).toBe(true);
  });

  const bad: Array<[string, string]> = [
    ['unknown fault', 'explode=1'],
    ['no value', 'delay'],
    ['empty value', 'delay='],
    ['non-numeric delay', 'delay=soon'],
    ['negative delay', 'delay=-5'],
    ['fractional delay', 'delay=2.5'],
    ['delay with a unit', 'delay=300ms'],
    ['delay beyond a day', `delay=${MAX_DEADLINE_MS + 1}`],
    ['status below 400', 'abort=399'],
    ['status above 599', 'abort=600'],
    ['non-numeric status', 'abort=unavailable'],
    ['percentage above 100', 'delay=300@150'],
    ['empty percentage', 'delay=300@'],
    ['percentage with a sign', 'delay=300@%50'],
    ['a fault given twice', 'abort=503;abort=500'],
    ['fault names are lower case', 'DELAY=300'],
  ];
  it.each(bad)('rejects %s: %s, naming the variable', (_label, spec) => {
    expect(() => parseFaultSpec(spec, source)).toThrow(
      configError('ERR_INVALID_FAULT_SPEC', `Invalid ${source}: `),
    );
  });

  it('says what is wrong and how to write it', () => {
    let error: unknown;
    try {
      parseFaultSpec('delay=300@150', source);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MeshConfigError);
    expect((error as MeshConfigError).message).toContain(
      'delay percentage must be a number from 0 to 100, got "150"',
    );
    expect((error as MeshConfigError).advice).toContain('delay=300@50;abort=503@10');
  });
});
