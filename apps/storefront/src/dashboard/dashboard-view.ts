/** What `GET /dashboard/state` answers and each `snapshot` event carries. */
export interface DashboardView {
  /** When this view was built (ISO 8601). */
  generatedAt: string;
  /** The sliding window the rates and quantiles cover, in ms. */
  windowMs: number;
  totals: DashboardTotals;
  services: ServiceNode[];
  edges: EdgeView[];
  upstreams: UpstreamCard[];
  instances: InstanceView[];
  /** The mesh's recent decisions across every instance, newest first. */
  decisions: DecisionView[];
  /** What the local launcher reports; null when the shop runs without one. */
  launcher: LauncherView | null;
}

export interface DashboardTotals {
  /** Calls per second over every edge (each hop counts once). */
  requestsPerSecond: number;
  /** Failed calls (errors and 5xx answers) per second over every edge. */
  errorsPerSecond: number;
  /** Instances that answer `/mesh` and are ready. */
  replicasUp: number;
  /** Instances in discovery, plus replicas the launcher reports down. */
  replicasTotal: number;
}

/** One service in the graph; `depth` is its column, counted in calls from an entry point. */
export interface ServiceNode {
  service: string;
  depth: number;
  replicas: number;
  up: number;
  unreachable: number;
}

export type EdgeHealth = 'idle' | 'ok' | 'degraded' | 'failing';

/** Calls from every replica of `caller` to `upstream` over the window. */
export interface EdgeView {
  caller: string;
  upstream: string;
  /** Calls that ended in the window. */
  calls: number;
  failed: number;
  requestsPerSecond: number;
  /** failed / calls, 0 without calls. */
  errorRate: number;
  /** Null without calls in the window. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** The worst breaker state among the caller's replicas. */
  breaker: 'off' | 'closed' | 'halfOpen' | 'open';
  panic: boolean;
  health: EdgeHealth;
}

export type EndpointState = 'healthy' | 'ejected' | 'draining' | 'breaker-open' | 'killed' | 'down';

/** One replica of an upstream, as its callers see it (joined by address:port). */
export interface EndpointRow {
  upstream: string;
  /** The endpoint's `replica` metadata, else its address:port. */
  replica: string;
  /** address:port; null for a replica the launcher reports down (it has no endpoint). */
  key: string | null;
  state: EndpointState;
  /** Caller instances that list this endpoint. */
  seenBy: number;
  /** Caller instances that have it ejected. */
  ejectedBy: number;
  /** Mean of the callers' peak-EWMA latency estimates; null when no caller lists it. */
  ewmaMs: number | null;
  /** Its part (0..1) of the requests sent to the upstream in the window. */
  share: number;
  /** Requests sent to it per second in the window, over every caller. */
  sentPerSecond: number;
  /** Requests in flight to it now, over every caller. */
  inFlight: number;
  /** Failure knobs and process state from the launcher, when there is one. */
  knobs: ReplicaKnobs | null;
  process: LauncherReplicaState | null;
}

/** One card per upstream: its callers' view of it and its replicas. */
export interface UpstreamCard {
  upstream: string;
  callers: string[];
  requestsPerSecond: number;
  breaker: EdgeView['breaker'];
  panic: boolean;
  endpoints: EndpointRow[];
}

/** One process, as its own `/mesh` answer describes it. */
export interface InstanceView {
  service: string;
  replica: string;
  key: string;
  /** The registry's instance id; a new one means the process restarted. */
  instance: string | null;
  reachable: boolean;
  /** Why `/mesh` could not be read, when it could not. */
  error: string | null;
  ready: boolean;
  draining: boolean;
  inFlight: number;
  /** Requests refused by load shedding so far, all limits together. */
  shed: number;
}

/** One decision of one caller's mesh. */
export interface DecisionView {
  id: string;
  /** Epoch ms on the caller's clock. */
  at: number;
  type: string;
  caller: string;
  callerReplica: string;
  upstream: string;
  /** The endpoint's replica name (or address:port) when the decision is about one. */
  replica: string | null;
  detail: string;
}

export type LauncherReplicaState = 'starting' | 'running' | 'killed' | 'exited' | 'stopping';

export interface ReplicaKnobs {
  latencyMs: number;
  errorRate: number;
  hang: boolean;
}

export interface LauncherReplica {
  service: string;
  replica: string;
  state: LauncherReplicaState;
  pid: number | null;
  knobs: ReplicaKnobs | null;
  restarts: number;
}

export interface LauncherView {
  reachable: boolean;
  error: string | null;
  replicas: LauncherReplica[];
  /** The loadgen's report on its user journeys; null without a running loadgen. */
  load: LoadView | null;
}

export interface JourneyCounts {
  sent: number;
  ok: number;
  failed: number;
}

/** One user journey that failed, as the loadgen saw it. */
export interface JourneyFailure {
  /** When it failed (ISO 8601). */
  at: string;
  kind: string;
  /** The storefront's HTTP status; null when no answer came (refused, timed out...). */
  status: number | null;
  message: string;
}

/** The loadgen's `GET /admin/load` report, as the launcher passes it on. */
export interface LoadReport {
  /** The rate journeys are started at, per second. */
  rps: number;
  mix: string;
  /** Journeys since the loadgen started: started, ended well, ended badly. */
  sent: number;
  ok: number;
  failed: number;
  /** Arrivals not started because too many journeys were under way. */
  skipped: number;
  inFlight: number;
  byKind: Record<string, JourneyCounts>;
  /** The last failures, newest first. */
  recentFailures: JourneyFailure[];
}

export interface LoadView extends LoadReport {
  /** Journeys that ended (ok or failed) per second over the window; null until two readings. */
  journeysPerSecond: number | null;
}
