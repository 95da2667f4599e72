import type { Service } from './services.js';

/** A replica's life in the launcher. */
export type ReplicaState = 'starting' | 'running' | 'killed' | 'exited' | 'stopping';

export interface Knobs {
  latencyMs: number;
  errorRate: number;
  hang: boolean;
}

export interface ReplicaStatus {
  replica: string;
  pid: number | null;
  state: ReplicaState;
  /** From the replica's lease; null until it has registered. */
  url: string | null;
  /** Read from the replica's `GET /admin/knobs`; null when it is not running or did not answer. */
  knobs: Knobs | null;
  /** How many times it was started again after a kill or an exit. */
  restarts: number;
  /** Set once the replica exited unexpectedly. */
  exitCode?: number | null;
  exitSignal?: string | null;
  /** The last lines of its log, set with the exit. */
  lastLines?: string[];
  logFile: string;
}

export interface ServiceStatus {
  service: Service;
  replicas: ReplicaStatus[];
}

export interface JourneyCounts {
  sent: number;
  ok: number;
  failed: number;
}

/** The loadgen's `GET /admin/load` answer. */
export interface LoadStatus {
  rps: number;
  mix: string;
  sent: number;
  ok: number;
  failed: number;
  skipped?: number;
  inFlight?: number;
  byKind: Record<string, JourneyCounts>;
  recentFailures: { at: string; kind: string; status: number | null; message: string }[];
}

/** `GET /status`. */
export interface PlatformStatus {
  startedAt: string;
  storefrontUrl: string | null;
  dashboardUrl: string | null;
  services: ServiceStatus[];
  load: LoadStatus | null;
}

export type ChaosAction =
  | { action: 'kill'; replica: string }
  | { action: 'slow'; replica: string; latencyMs: number }
  | { action: 'fail'; replica: string; errorRate: number }
  | { action: 'hang'; replica: string }
  | { action: 'heal'; replica: string };

/** `POST /chaos`'s answer. */
export interface ChaosResult {
  ok: true;
  replica: string;
  action: ChaosAction['action'];
  knobs: Knobs | null;
}

/** The settings `POST /load` takes. */
export interface LoadSettings {
  rps: number;
  mix?: string;
}
