import { z } from 'zod';
import type { LauncherReplica, LauncherView } from './dashboard-view.js';
import { HttpJsonError, requestJson, type JsonAnswer } from './http-json.js';

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
});

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
  async status(): Promise<LauncherView> {
    try {
      const answer = await requestJson(`${this.url}/status`, { timeoutMs: this.statusTimeoutMs });
      if (answer.status !== 200) {
        return { reachable: false, error: `GET /status answered ${answer.status}`, replicas: [] };
      }
      const parsed = launcherStatusSchema.safeParse(answer.body);
      if (!parsed.success) {
        return { reachable: false, error: 'GET /status answered an unknown shape', replicas: [] };
      }
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
      return { reachable: true, error: null, replicas };
    } catch (error) {
      if (!(error instanceof HttpJsonError)) throw error;
      return { reachable: false, error: error.message, replicas: [] };
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
