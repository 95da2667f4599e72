import type { RequestHandler } from 'express';
import { DEADLINE_OPTION_NAMES, deadlineMiddleware, type DeadlineOptions } from './deadline.js';
import { inFlightMiddleware } from './in-flight.js';
import {
  LOAD_SHEDDING_OPTION_NAMES,
  loadSheddingMiddleware,
  type LoadSheddingOptions,
} from './load-shedding.js';
import { optionsObject, rejectUnknownKeys } from './option-checks.js';
import { requireState } from './server-state.js';

export type MeshMiddlewareOptions = LoadSheddingOptions & DeadlineOptions;

/** The inbound chain as one array for `app.use`, and `close()` to stop its delay monitor. */
export type MeshMiddleware = RequestHandler[] & { close(): void };

/**
 * The inbound chain in its order: in-flight accounting, then load shedding (cheapest refusal
 * first), then the deadline. Mount it before body parsers and routes.
 */
export function meshMiddleware(options: MeshMiddlewareOptions): MeshMiddleware {
  const checked = optionsObject(options, 'meshMiddleware options');
  rejectUnknownKeys(checked, [...LOAD_SHEDDING_OPTION_NAMES, ...DEADLINE_OPTION_NAMES]);
  const state = requireState(checked['state']);
  const shedding = loadSheddingMiddleware({
    state,
    ...(pick(checked, [
      'maxConcurrent',
      'maxEventLoopDelayMs',
      'eventLoopDelay',
      'exemptPaths',
    ]) as Omit<LoadSheddingOptions, 'state'>),
  });
  const deadline = deadlineMiddleware(pick(checked, ['defaultDeadlineMs']) as DeadlineOptions);
  return Object.assign([inFlightMiddleware(state), shedding, deadline], {
    close: () => shedding.close(),
  });
}

function pick(options: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in options).map((key) => [key, options[key]]));
}
