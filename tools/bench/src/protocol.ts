/** Messages between the harness and its child processes (replicas and the load generator). */

export interface EndpointAddress {
  address: string;
  port: number;
  draining?: boolean;
}

export type TargetSpec =
  | { kind: 'direct'; port: number; connections: number }
  | {
      kind: 'mesh';
      endpoints: EndpointAddress[];
      /** Endpoints come from a resolver the harness pushes updates to (rolling restarts). */
      dynamic?: boolean;
      balancer?: string;
      hedgeDelayMs?: number;
      timeoutMs?: number;
      attemptTimeoutMs?: number;
      /** A real OpenTelemetry SDK tracer provider, sampling every call. */
      tracing?: boolean;
      /** Prometheus metrics on a registry of the target's own. */
      metrics?: boolean;
    };

export type PhaseSpec = (
  | { mode: 'open'; rate: number; durationMs: number }
  | { mode: 'closed'; concurrency: number; durationMs: number }
) & {
  /**
   * Latencies go to this named histogram, kept across phases, and the result's percentiles are of
   * everything it holds: a variant measured in several interleaved slices reports them as one.
   */
  series?: string;
};

export interface PhaseResult {
  requests: number;
  errors: number;
  errorCodes: Record<string, number>;
  durationS: number;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  cpuS: number;
}

export type LoadgenRequest =
  | { type: 'setup'; target: TargetSpec }
  | { type: 'phase'; id: number; phase: PhaseSpec }
  | { type: 'endpoints'; endpoints: EndpointAddress[] }
  | { type: 'stop-phase' }
  | { type: 'watch-sent' }
  | { type: 'sent-report'; id: number }
  | { type: 'close' };

export type LoadgenReply =
  | { type: 'ready' }
  | { type: 'setup-done' }
  | { type: 'result'; id: number; result: PhaseResult }
  | { type: 'sent'; id: number; lastSentAt: Record<string, number>; sent: Record<string, number> }
  | { type: 'error'; message: string };

export interface ReplicaConfig {
  serviceMs: number;
}

export type ReplicaRequest =
  | { type: 'service'; serviceMs: number }
  | { type: 'hang' }
  | { type: 'drain'; delayMs: number }
  | { type: 'stats'; id: number };

export type ReplicaReply =
  { type: 'ready'; port: number } | { type: 'stats'; id: number; count: number; lastAt: number };
