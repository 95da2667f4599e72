import { describe, expect, it } from 'vitest';
import { PeakEwma } from './peak-ewma.js';

describe('PeakEwma', () => {
  it('starts at the default RTT and takes the first sample as is', () => {
    const ewma = new PeakEwma(() => 0, 10_000, 30);
    expect(ewma.estimateMs).toBe(30);
    ewma.observe(5);
    expect(ewma.estimateMs).toBe(5);
  });

  it('jumps to a peak at once and blends lower samples in by elapsed time', () => {
    let now = 0;
    const ewma = new PeakEwma(() => now, 10_000, 30);
    ewma.observe(10);
    now = 1;
    ewma.observe(200);
    expect(ewma.estimateMs).toBe(200);
    now = 10_001;
    ewma.observe(10);
    // weight exp(-1) after one decay period: 200 * 0.3679 + 10 * 0.6321
    expect(ewma.estimateMs).toBeCloseTo(200 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 6);
  });

  it('decays toward zero while no samples arrive, so a shunned endpoint is tried again', () => {
    let now = 0;
    const ewma = new PeakEwma(() => now, 10_000, 30);
    ewma.observe(400);
    now = 20_000;
    expect(ewma.estimateMs).toBeCloseTo(400 * Math.exp(-2), 6);
  });
});
