import * as hdr from 'hdr-histogram-js';

/** A latency histogram in microseconds, 3 significant digits, up to 2 minutes. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Milliseconds at a percentile, rounded to the microsecond. */
export function msAt(histogram: hdr.Histogram, percentile: number): number {
  return histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1_000;
}
