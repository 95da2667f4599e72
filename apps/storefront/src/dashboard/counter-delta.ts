import type { EndpointReading, UpstreamReading } from './mesh-reading.js';

export interface CallDelta {
  calls: number;
  failed: number;
  durationCounts: number[];
}

/**
 * Calls between two readings of one upstream. No baseline means the upstream is newer than the
 * window (its counters started at zero within it).
 */
export function callDelta(
  baseline: UpstreamReading | undefined,
  latest: UpstreamReading,
): CallDelta {
  const now = latest.calls;
  const before = baseline?.calls;
  if (!before || now.calls < before.calls) {
    return { calls: now.calls, failed: now.failed, durationCounts: [...now.durationCounts] };
  }
  return {
    calls: now.calls - before.calls,
    failed: Math.max(0, now.failed - before.failed),
    durationCounts: now.durationCounts.map((count, index) =>
      Math.max(0, count - (before.durationCounts[index] ?? 0)),
    ),
  };
}

/** Requests sent to an endpoint between two readings; its state is new if the count went back. */
export function sentDelta(baseline: EndpointReading | undefined, latest: EndpointReading): number {
  if (!baseline || latest.sent < baseline.sent) return latest.sent;
  return latest.sent - baseline.sent;
}

/** Adds `delta` into `into`, bucket by bucket. */
export function addCallDelta(into: CallDelta, delta: CallDelta): void {
  into.calls += delta.calls;
  into.failed += delta.failed;
  delta.durationCounts.forEach((count, index) => {
    into.durationCounts[index] = (into.durationCounts[index] ?? 0) + count;
  });
}
