import { z } from 'zod';

export const CHAOS_ACTIONS = ['kill', 'slow', 'fail', 'hang', 'heal'] as const;

/** What the dashboard's buttons send when the body leaves the knob out. */
export const DEFAULT_SLOW_LATENCY_MS = 300;
export const DEFAULT_FAIL_ERROR_RATE = 0.5;

/** Replica names are `<service>-<n>`, as the launcher gives them. */
const replicaName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?-[1-9]\d{0,2}$/,
    'a replica name looks like "catalog-2"',
  );

const chaosBody = z
  .object({
    action: z.enum(CHAOS_ACTIONS, { error: `expected one of ${CHAOS_ACTIONS.join(', ')}` }),
    replica: replicaName,
    latencyMs: z.number().int().min(1).max(60_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((body, context) => {
    if (body.latencyMs !== undefined && body.action !== 'slow') {
      context.addIssue({ code: 'custom', path: ['latencyMs'], message: 'only goes with "slow"' });
    }
    if (body.errorRate !== undefined && body.action !== 'fail') {
      context.addIssue({ code: 'custom', path: ['errorRate'], message: 'only goes with "fail"' });
    }
  });

/** The launcher's `POST /chaos` body, with the knob of `slow` and `fail` always present. */
export type ChaosRequest =
  | { action: 'kill' | 'hang' | 'heal'; replica: string }
  | { action: 'slow'; replica: string; latencyMs: number }
  | { action: 'fail'; replica: string; errorRate: number };

export type ChaosParse = { ok: true; request: ChaosRequest } | { ok: false; error: z.ZodError };

export function parseChaosRequest(body: unknown): ChaosParse {
  const parsed = chaosBody.safeParse(body);
  if (!parsed.success) return { ok: false, error: parsed.error };
  const { action, replica, latencyMs, errorRate } = parsed.data;
  if (action === 'slow') {
    return {
      ok: true,
      request: { action, replica, latencyMs: latencyMs ?? DEFAULT_SLOW_LATENCY_MS },
    };
  }
  if (action === 'fail') {
    return {
      ok: true,
      request: { action, replica, errorRate: errorRate ?? DEFAULT_FAIL_ERROR_RATE },
    };
  }
  return { ok: true, request: { action, replica } };
}
