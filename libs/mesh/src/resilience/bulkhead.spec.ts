import { describe, expect, it } from 'vitest';
import { MeshConfigError } from '../errors.js';
import { Bulkhead } from './bulkhead.js';

describe('Bulkhead', () => {
  it('grants slots up to the limit and refuses beyond it', () => {
    const bulkhead = new Bulkhead(2);
    expect(bulkhead.maxConcurrent).toBe(2);
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.tryAcquire()).toBe(false);
    expect(bulkhead.inFlight).toBe(2);
  });

  it('frees a slot on release', () => {
    const bulkhead = new Bulkhead(1);
    expect(bulkhead.tryAcquire()).toBe(true);
    bulkhead.release();
    expect(bulkhead.inFlight).toBe(0);
    expect(bulkhead.tryAcquire()).toBe(true);
  });

  it('never drops below zero, so extra releases cannot open extra slots', () => {
    const bulkhead = new Bulkhead(1);
    bulkhead.release();
    bulkhead.release();
    expect(bulkhead.inFlight).toBe(0);
    expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.tryAcquire()).toBe(false);
  });

  it('allows any number in flight when the limit is Infinity', () => {
    const bulkhead = new Bulkhead(Infinity);
    for (let i = 0; i < 10_000; i++) expect(bulkhead.tryAcquire()).toBe(true);
    expect(bulkhead.inFlight).toBe(10_000);
  });

  it.each([0, -1, 1.5, Number.NaN, -Infinity])('rejects maxConcurrent %s', (maxConcurrent) => {
    const create = () => new Bulkhead(maxConcurrent);
    expect(create).toThrow(MeshConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'ERR_INVALID_BULKHEAD_OPTIONS' }));
  });
});
