import { durationQuantile } from '@trellis/mesh';
import { worseBreaker } from './breaker-state.js';
import { addCallDelta, callDelta, type CallDelta } from './counter-delta.js';
import type { EdgeHealth, EdgeView } from './dashboard-view.js';
import { answering, type InstanceSample } from './instance-sample.js';
import { round } from './rounding.js';

/** Error rates from here up colour an edge amber, and red from the second. */
const DEGRADED_ERROR_RATE = 0.01;
const FAILING_ERROR_RATE = 0.1;

interface EdgeTotals extends CallDelta {
  caller: string;
  upstream: string;
  requestsPerSecond: number;
  breaker: EdgeView['breaker'];
  panic: boolean;
}

/**
 * One edge per caller service and upstream, summed over the caller's replicas: each replica's
 * counter differences over its own window, so replicas polled at slightly different times add up.
 */
export function computeEdges(samples: readonly InstanceSample[]): EdgeView[] {
  const edges = new Map<string, EdgeTotals>();
  for (const { service, window } of answering(samples)) {
    const baseline = new Map(window.baseline?.view.upstreams.map((u) => [u.name, u]));
    for (const upstream of window.latest.view.upstreams) {
      const id = `${service}->${upstream.name}`;
      let edge = edges.get(id);
      if (!edge) {
        edge = {
          caller: service,
          upstream: upstream.name,
          calls: 0,
          failed: 0,
          durationCounts: [],
          requestsPerSecond: 0,
          breaker: 'off',
          panic: false,
        };
        edges.set(id, edge);
      }
      edge.breaker = worseBreaker(edge.breaker, upstream.breaker);
      edge.panic ||= upstream.panic;
      // A replica's first reading has nothing to diff against yet.
      if (!window.baseline || window.seconds <= 0) continue;
      const delta = callDelta(baseline.get(upstream.name), upstream);
      addCallDelta(edge, delta);
      edge.requestsPerSecond += delta.calls / window.seconds;
    }
  }
  return [...edges.values()].map(toEdgeView).sort(byCallerThenUpstream);
}

function toEdgeView(edge: EdgeTotals): EdgeView {
  const errorRate = edge.calls > 0 ? edge.failed / edge.calls : 0;
  return {
    caller: edge.caller,
    upstream: edge.upstream,
    calls: edge.calls,
    failed: edge.failed,
    requestsPerSecond: round(edge.requestsPerSecond, 2),
    errorRate: round(errorRate, 4),
    p50Ms: roundOrNull(durationQuantile(edge.durationCounts, 0.5)),
    p99Ms: roundOrNull(durationQuantile(edge.durationCounts, 0.99)),
    breaker: edge.breaker,
    panic: edge.panic,
    health: edgeHealth(edge.calls, errorRate, edge.breaker, edge.panic),
  };
}

function edgeHealth(
  calls: number,
  errorRate: number,
  breaker: EdgeView['breaker'],
  panic: boolean,
): EdgeHealth {
  if (breaker === 'open' || errorRate >= FAILING_ERROR_RATE) return 'failing';
  if (breaker === 'halfOpen' || panic || errorRate >= DEGRADED_ERROR_RATE) return 'degraded';
  return calls > 0 ? 'ok' : 'idle';
}

function byCallerThenUpstream(a: EdgeView, b: EdgeView): number {
  return a.caller.localeCompare(b.caller) || a.upstream.localeCompare(b.upstream);
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : round(value, 2);
}
