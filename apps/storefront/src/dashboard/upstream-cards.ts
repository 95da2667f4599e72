import { worseBreaker, type BreakerState } from './breaker-state.js';
import { sentDelta } from './counter-delta.js';
import type {
  EdgeView,
  EndpointRow,
  EndpointState,
  LauncherReplica,
  LauncherView,
  UpstreamCard,
} from './dashboard-view.js';
import { answering, type InstanceSample } from './instance-sample.js';
import { round } from './rounding.js';

interface RowTotals {
  key: string;
  replica: string;
  seenBy: number;
  ejectedBy: number;
  breakerOpenBy: number;
  draining: boolean;
  ewmaSumMs: number;
  inFlight: number;
  sentInWindow: number;
  sentPerSecond: number;
}

const byReplicaName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * One card per upstream any caller has, with one row per endpoint joined across the callers by
 * address:port, plus the replicas the launcher reports down (they have no endpoint any more).
 */
export function computeUpstreamCards(
  samples: readonly InstanceSample[],
  edges: readonly EdgeView[],
  launcher: LauncherView | null,
): UpstreamCard[] {
  const rowsByUpstream = new Map<string, Map<string, RowTotals>>();
  for (const { window } of answering(samples)) {
    const counting = window.baseline !== undefined && window.seconds > 0;
    for (const upstream of window.latest.view.upstreams) {
      const rows = rowsByUpstream.get(upstream.name) ?? new Map<string, RowTotals>();
      rowsByUpstream.set(upstream.name, rows);
      const before = window.baseline?.view.upstreams.find((u) => u.name === upstream.name);
      for (const endpoint of upstream.endpoints) {
        let row = rows.get(endpoint.key);
        if (!row) {
          row = {
            key: endpoint.key,
            replica: endpoint.metadata['replica'] ?? endpoint.key,
            seenBy: 0,
            ejectedBy: 0,
            breakerOpenBy: 0,
            draining: false,
            ewmaSumMs: 0,
            inFlight: 0,
            sentInWindow: 0,
            sentPerSecond: 0,
          };
          rows.set(endpoint.key, row);
        }
        row.seenBy += 1;
        if (endpoint.ejected) row.ejectedBy += 1;
        if (upstream.breaker === 'open') row.breakerOpenBy += 1;
        row.draining ||= endpoint.draining;
        row.ewmaSumMs += endpoint.ewmaMs;
        row.inFlight += endpoint.pending;
        if (counting) {
          const sent = sentDelta(
            before?.endpoints.find((e) => e.key === endpoint.key),
            endpoint,
          );
          row.sentInWindow += sent;
          row.sentPerSecond += sent / window.seconds;
        }
      }
    }
  }
  const launcherReplicas = launcher?.reachable ? launcher.replicas : [];
  return [...rowsByUpstream.entries()]
    .map(([upstream, rows]) => {
      const intoIt = edges.filter((edge) => edge.upstream === upstream);
      return {
        upstream,
        callers: intoIt.map((edge) => edge.caller),
        requestsPerSecond: round(
          intoIt.reduce((sum, edge) => sum + edge.requestsPerSecond, 0),
          2,
        ),
        breaker: intoIt.reduce<BreakerState>(
          (worst, edge) => worseBreaker(worst, edge.breaker),
          'off',
        ),
        panic: intoIt.some((edge) => edge.panic),
        endpoints: endpointRows(upstream, [...rows.values()], launcherReplicas),
      };
    })
    .sort((a, b) => a.upstream.localeCompare(b.upstream));
}

function endpointRows(
  upstream: string,
  rows: readonly RowTotals[],
  launcherReplicas: readonly LauncherReplica[],
): EndpointRow[] {
  const totalSent = rows.reduce((sum, row) => sum + row.sentInWindow, 0);
  const fromLauncher = new Map(
    launcherReplicas
      .filter((replica) => replica.service === upstream)
      .map((replica) => [replica.replica, replica]),
  );
  const seen: EndpointRow[] = rows.map((row) => {
    const managed = fromLauncher.get(row.replica);
    return {
      upstream,
      replica: row.replica,
      key: row.key,
      state: endpointState(row),
      seenBy: row.seenBy,
      ejectedBy: row.ejectedBy,
      ewmaMs: round(row.ewmaSumMs / row.seenBy, 2),
      share: totalSent > 0 ? round(row.sentInWindow / totalSent, 3) : 0,
      sentPerSecond: round(row.sentPerSecond, 2),
      inFlight: row.inFlight,
      knobs: managed?.knobs ?? null,
      process: managed?.state ?? null,
    };
  });
  const seenNames = new Set(seen.map((row) => row.replica));
  // A running replica the callers do not list yet appears as soon as discovery brings it.
  const down: EndpointRow[] = [...fromLauncher.values()]
    .filter((replica) => replica.state !== 'running' && !seenNames.has(replica.replica))
    .map((replica) => ({
      upstream,
      replica: replica.replica,
      key: null,
      state: replica.state === 'killed' ? 'killed' : 'down',
      seenBy: 0,
      ejectedBy: 0,
      ewmaMs: null,
      share: 0,
      sentPerSecond: 0,
      inFlight: 0,
      knobs: replica.knobs,
      process: replica.state,
    }));
  return [...seen, ...down].sort((a, b) => byReplicaName(a.replica, b.replica));
}

/** Ejection is about this endpoint; an open breaker about the whole upstream; draining is planned. */
function endpointState(row: RowTotals): EndpointState {
  if (row.ejectedBy > 0) return 'ejected';
  if (row.breakerOpenBy > 0) return 'breaker-open';
  if (row.draining) return 'draining';
  return 'healthy';
}
