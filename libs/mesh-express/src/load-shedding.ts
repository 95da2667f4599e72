import type { RequestHandler } from 'express';
import { sendError } from './error-response.js';
import { EventLoopDelayMonitor, type EventLoopDelaySource } from './event-loop-delay.js';
import { InvalidOptionError } from './invalid-option-error.js';
import {
  describeValue,
  optionalNumber,
  optionalWithMethods,
  optionsObject,
  rejectUnknownKeys,
} from './option-checks.js';
import { requireState, type ServerState } from './server-state.js';

/** Paths never shed: the admin routes, so probes and scrapes work when the server is busiest. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = Object.freeze([
  '/healthz',
  '/readyz',
  '/metrics',
  '/mesh',
]);

export interface LoadSheddingOptions {
  /** The state `inFlightMiddleware` counts into; that middleware must run before this one. */
  state: ServerState;
  /** Refuse a request when this many others are already being handled. Off by default. */
  maxConcurrent?: number;
  /** Refuse requests while the recent p99 event loop delay is above this. Off by default. */
  maxEventLoopDelayMs?: number;
  /** Where the delay comes from; default an `EventLoopDelayMonitor` (1 s windows). */
  eventLoopDelay?: EventLoopDelaySource;
  /** Exact paths (as `req.path` sees them) never shed; default `DEFAULT_EXEMPT_PATHS`. */
  exemptPaths?: readonly string[];
}

/** The middleware, and `close()` to stop its event loop monitor. */
export type LoadSheddingMiddleware = RequestHandler & { close(): void };

export const LOAD_SHEDDING_OPTION_NAMES = [
  'state',
  'maxConcurrent',
  'maxEventLoopDelayMs',
  'eventLoopDelay',
  'exemptPaths',
] as const;

/**
 * Answers 503 with `Retry-After: 1` at once, before any work, when a limit is reached: cheap
 * refusals keep a busy server's latency bounded, and the mesh on the caller's side retries
 * elsewhere. The body names the limit.
 */
export function loadSheddingMiddleware(options: LoadSheddingOptions): LoadSheddingMiddleware {
  const checked = optionsObject(options, 'loadSheddingMiddleware options');
  rejectUnknownKeys(checked, LOAD_SHEDDING_OPTION_NAMES);
  const state = requireState(checked['state']);
  const maxConcurrent = optionalNumber(checked['maxConcurrent'], 'maxConcurrent', {
    min: 1,
    integer: true,
    unit: 'requests',
  });
  const maxEventLoopDelayMs = optionalNumber(
    checked['maxEventLoopDelayMs'],
    'maxEventLoopDelayMs',
    {
      min: 1,
      max: 60_000,
      unit: 'ms',
    },
  );
  const injected = optionalWithMethods<EventLoopDelaySource>(
    checked['eventLoopDelay'],
    'eventLoopDelay',
    ['delayMs'],
    'an object whose delayMs() returns the p99 event loop delay in ms',
  );
  if (injected && maxEventLoopDelayMs === undefined) {
    throw new InvalidOptionError(
      'eventLoopDelay',
      'it is given without maxEventLoopDelayMs, so it would never be read',
      'set maxEventLoopDelayMs too, or leave eventLoopDelay out',
    );
  }
  const exemptPaths = exemptPathSet(checked['exemptPaths']);
  const delay =
    maxEventLoopDelayMs === undefined ? undefined : (injected ?? new EventLoopDelayMonitor());

  const handler: RequestHandler = (req, res, next) => {
    if (exemptPaths.has(req.path)) return next();
    // The in-flight count includes this request.
    if (maxConcurrent !== undefined && state.inFlight - 1 >= maxConcurrent) {
      state.recordShed('maxConcurrent');
      return sendError(
        res,
        503,
        {
          code: 'ERR_SERVER_OVERLOADED',
          message: `Server overloaded: ${state.inFlight - 1} requests already in flight, limit maxConcurrent=${maxConcurrent}; retry shortly`,
          limit: 'maxConcurrent',
        },
        { 'retry-after': '1' },
      );
    }
    if (delay && maxEventLoopDelayMs !== undefined) {
      const delayMs = delay.delayMs();
      if (delayMs > maxEventLoopDelayMs) {
        state.recordShed('maxEventLoopDelayMs');
        return sendError(
          res,
          503,
          {
            code: 'ERR_SERVER_OVERLOADED',
            message: `Server overloaded: event loop delay p99 ${Math.round(delayMs)} ms, limit maxEventLoopDelayMs=${maxEventLoopDelayMs}; retry shortly`,
            limit: 'maxEventLoopDelayMs',
          },
          { 'retry-after': '1' },
        );
      }
    }
    next();
  };
  return Object.assign(handler, {
    close: (): void => {
      // An injected source belongs to the caller.
      if (delay && delay !== injected) delay.close?.();
    },
  });
}

function exemptPathSet(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set(DEFAULT_EXEMPT_PATHS);
  if (
    !Array.isArray(value) ||
    value.some((path) => typeof path !== 'string' || !path.startsWith('/'))
  ) {
    throw new InvalidOptionError(
      'exemptPaths',
      `expected an array of paths starting with "/", got ${describeValue(value)}`,
      'pass e.g. ["/healthz", "/readyz", "/metrics", "/mesh"]',
    );
  }
  return new Set(value as string[]);
}
