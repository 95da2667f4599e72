import { z } from 'zod';
import type { LauncherReplica, LauncherView, LoadReport } from './dashboard-view.js';
import { HttpJsonError, requestJson, type JsonAnswer } from './http-json.js';

const count = z.number().int().nonnegative();

const loadReportSchema = z.object({
  rps: z.number().nonnegative(),
  mix: z.string(),
  sent: count,
  ok: count,
  failed: count,
  skipped: count.optional(),
  inFlight: count.optional(),
  byKind: z.record(z.string(), z.object({ sent: count, ok: count, failed: count })),
  recentFailures: z.array(
    z.object({
      at: z.string(),
      kind: z.string(),
      status: z.number().int().nullable(),
      message: z.string(),
    }),
  ),
});

const launcherStatusSchema = z.object({
  services: z.array(
    z.object({
      service: z.string(),
      replicas: z.array(
        z.object({
          replica: z.string(),
          pid: z.number().int().nullable().optional(),
          state: z.enum(['starting', 'running', 'killed', 'exited', 'stopping']),
          knobs: z
            .object({ latencyMs: z.number(), errorRate: z.number(), hang: z.boolean() })
            .nullable()
            .optional(),
          restarts: z.number().int().nonnegative().optional(),
        }),
      ),
    }),
  ),
  // Read on its own: a loadgen report of another shape hides the journeys, not the launcher.
  load: z.unknown().optional(),
});

/** The launcher's answer as the dashboard uses it; the collector adds the journey rate. */
export type LauncherStatus = Omit<LauncherView, 'load'> & { load: LoadReport | null };

/** Chaos sent on to the launcher can start a process again: give it time. */
const CHAOS_TIMEOUT_MS = 10_000;

/** The local launcher's control API (`npm start`): replica status and chaos. */
export class LauncherClient {
  readonly url: string;

  constructor(
    url: string,
    private readonly statusTimeoutMs = 500,
  ) {
    this.url = url.replace(/\/+$/, '');
  }

  /** The launcher's replicas; an unreachable or confused launcher is reported, not thrown. */
  async status(): Promise<LauncherStatus> {
    try {
      const answer = await requestJson(`${this.url}/status`, { timeoutMs: this.statusTimeoutMs });
      if (answer.status !== 200) {
        return unreachable(`GET /status answered ${answer.status}`);
      }
      const parsed = launcherStatusSchema.safeParse(answer.body);
      if (!parsed.success) return unreachable('GET /status answered an unknown shape');
      const replicas: LauncherReplica[] = parsed.data.services.flatMap(({ service, replicas }) =>
        replicas.map((replica) => ({
          service,
          replica: replica.replica,
          state: replica.state,
          pid: replica.pid ?? null,
          knobs: replica.knobs ?? null,
          restarts: replica.restarts ?? 0,
        })),
      );
      return { reachable: true, error: null, replicas, load: loadReport(parsed.data.load) };
    } catch (error) {
      if (!(error instanceof HttpJsonError)) throw error;
      return unreachable(error.message);
    }
  }

  /** Sends the chaos request on and answers the launcher's answer as it is. */
  chaos(body: unknown): Promise<JsonAnswer> {
    return requestJson(`${this.url}/chaos`, {
      method: 'POST',
      body,
      timeoutMs: CHAOS_TIMEOUT_MS,
    });
  }
}

function unreachable(error: string): LauncherStatus {
  return { reachable: false, error, replicas: [], load: null };
}

/** The loadgen's report with every field set; null without a loadgen or for another shape. */
function loadReport(load: unknown): LoadReport | null {
  const parsed = loadReportSchema.safeParse(load);
  if (!parsed.success) return null;
  const report = parsed.data;
  return {
    rps: report.rps,
    mix: report.mix,
    sent: report.sent,
    ok: report.ok,
    failed: report.failed,
    skipped: report.skipped ?? 0,
    inFlight: report.inFlight ?? 0,
    byKind: report.byKind,
    // The loadgen appends, so its list is oldest first.
    recentFailures: [...report.recentFailures].reverse(),
  };
}
