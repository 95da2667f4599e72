import { z } from 'zod';
import { ControlError } from './control-error.js';
import { MAX_REPLICAS, SERVICES } from './services.js';
import type { ChaosAction, LoadSettings } from './status.js';

/** The loadgen's own bounds, checked here too so a bad rate never reaches it. */
export const MAX_RPS = 1_000;
export const MAX_LATENCY_MS = 60_000;

const replica = z.string({ error: 'give the replica\'s name, like "catalog-1"' }).min(1);

const scaleBody = z
  .object({
    service: z.enum(SERVICES, { error: `use one of ${SERVICES.join(', ')}` }),
    replicas: z
      .number({ error: `give a number of replicas from 1 to ${MAX_REPLICAS}` })
      .int(`give a whole number of replicas from 1 to ${MAX_REPLICAS}`)
      .min(1, `give a number of replicas from 1 to ${MAX_REPLICAS}`)
      .max(MAX_REPLICAS, `give a number of replicas from 1 to ${MAX_REPLICAS}`),
  })
  .strict();

const CHAOS_ACTIONS = ['kill', 'slow', 'fail', 'hang', 'heal'] as const;

const chaosAction = z.object({
  action: z.enum(CHAOS_ACTIONS, { error: `use one of ${CHAOS_ACTIONS.join(', ')}` }),
});

const chaosBodies = {
  kill: z.object({ action: z.literal('kill'), replica }).strict(),
  slow: z
    .object({
      action: z.literal('slow'),
      replica,
      latencyMs: z
        .number({ error: `give the added latency in ms, 0 to ${MAX_LATENCY_MS}` })
        .int(`give whole milliseconds, 0 to ${MAX_LATENCY_MS}`)
        .min(0, `give the added latency in ms, 0 to ${MAX_LATENCY_MS}`)
        .max(MAX_LATENCY_MS, `give the added latency in ms, 0 to ${MAX_LATENCY_MS}`),
    })
    .strict(),
  fail: z
    .object({
      action: z.literal('fail'),
      replica,
      errorRate: z
        .number({ error: 'give the share of requests to fail, from 0 to 1' })
        .min(0, 'give the share of requests to fail, from 0 to 1')
        .max(1, 'give the share of requests to fail, from 0 to 1'),
    })
    .strict(),
  hang: z.object({ action: z.literal('hang'), replica }).strict(),
  heal: z.object({ action: z.literal('heal'), replica }).strict(),
} as const;

const loadBody = z
  .object({
    rps: z
      .number({ error: `give journeys per second, 0 (paused) to ${MAX_RPS}` })
      .min(0, `give journeys per second, 0 (paused) to ${MAX_RPS}`)
      .max(MAX_RPS, `give journeys per second, 0 (paused) to ${MAX_RPS}`),
    mix: z
      .string({ error: 'give the mix as text, like "browse=70,cart=20,checkout=10"' })
      .optional(),
  })
  .strict();

const object = z.record(z.string(), z.unknown(), { error: 'send a JSON object' });

/** Parses with `schema`, or throws a 400 naming the first wrong field and what is wrong with it. */
function parse<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || 'body';
  const message =
    issue.code === 'unrecognized_keys'
      ? `${field}: unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`
      : `${field}: ${issue.message}`;
  throw new ControlError(400, 'ERR_BAD_REQUEST', message);
}

export function parseScaleBody(body: unknown): z.infer<typeof scaleBody> {
  return parse(scaleBody, body);
}

export function parseChaosBody(body: unknown): ChaosAction {
  const { action } = parse(chaosAction, parse(object, body));
  return parse(chaosBodies[action], body);
}

export function parseLoadBody(body: unknown): LoadSettings {
  const parsed = parse(loadBody, body);
  return parsed.mix === undefined ? { rps: parsed.rps } : { rps: parsed.rps, mix: parsed.mix };
}
