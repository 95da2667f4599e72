import { parseEnv, serviceConfig, serviceEnvShape, type ServiceConfig } from '@trellis/shop-kit';
import { z } from 'zod';
import { DEFAULT_MIX_TEXT, MixError, parseMix, type LoadMix } from './load-mix.js';

/** The highest rate one loadgen replica is asked to send, in journeys per second. */
export const MAX_RPS = 1_000;

export interface LoadgenConfig extends ServiceConfig {
  /** Journeys started per second (open loop); 0 pauses. */
  rps: number;
  mix: LoadMix;
  /** Journeys under way at most; arrivals beyond it are skipped, not queued. */
  maxInFlight: number;
  /** How many simulated users (`load-1` .. `load-<n>`) the journeys are spread over. */
  users: number;
}

export const rpsSchema = z
  .number()
  .min(0, `use 0 (paused) to ${MAX_RPS} journeys per second`)
  .max(MAX_RPS, `use 0 (paused) to ${MAX_RPS} journeys per second`);

export const mixSchema = z.string().transform((text, context): LoadMix => {
  try {
    return parseMix(text);
  } catch (error) {
    if (!(error instanceof MixError)) throw error;
    context.addIssue({ code: 'custom', message: error.message });
    return z.NEVER;
  }
});

const loadgenEnv = z.object({
  ...serviceEnvShape,
  LOAD_RPS: z.coerce.number().pipe(rpsSchema).default(5),
  LOAD_MIX: mixSchema.default(parseMix(DEFAULT_MIX_TEXT)),
  LOAD_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(100),
  LOAD_USERS: z.coerce.number().int().min(1).max(100_000).default(100),
});

/** Reads the service's environment once; a wrong value fails fast with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadgenConfig {
  const parsed = parseEnv(loadgenEnv, env);
  return {
    ...serviceConfig(parsed),
    rps: parsed.LOAD_RPS,
    mix: parsed.LOAD_MIX,
    maxInFlight: parsed.LOAD_MAX_IN_FLIGHT,
    users: parsed.LOAD_USERS,
  };
}
