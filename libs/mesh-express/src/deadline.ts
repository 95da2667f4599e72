import {
  DEADLINE_HEADER,
  Deadline,
  MAX_DEADLINE_MS,
  parseDeadlineHeader,
  withDeadline,
} from '@trellis/mesh';
import type { RequestHandler } from 'express';
import { sendError } from './error-response.js';
import { optionalNumber, optionsObject, rejectUnknownKeys } from './option-checks.js';

export interface DeadlineOptions {
  /**
   * The budget a request gets when it arrives without `x-trellis-deadline-ms` (an edge request).
   * Off by default: such requests then run without a deadline, and each mesh call uses its own
   * timeout.
   */
  defaultDeadlineMs?: number;
}

export const DEADLINE_OPTION_NAMES = ['defaultDeadlineMs'] as const;

/**
 * Reads the caller's remaining budget from `x-trellis-deadline-ms` and runs the rest of the
 * chain under `withDeadline`, so every mesh call made while handling the request inherits what
 * is left (and passes it on). An expired budget answers 504 at once; a malformed one 400.
 */
export function deadlineMiddleware(options: DeadlineOptions = {}): RequestHandler {
  const checked = optionsObject(options, 'deadlineMiddleware options');
  rejectUnknownKeys(checked, DEADLINE_OPTION_NAMES);
  const defaultDeadlineMs = optionalNumber(checked['defaultDeadlineMs'], 'defaultDeadlineMs', {
    min: 1,
    max: MAX_DEADLINE_MS,
    unit: 'ms',
  });
  return (req, res, next) => {
    const parsed = parseDeadlineHeader(req.headers[DEADLINE_HEADER]);
    switch (parsed.kind) {
      case 'expired':
        return sendError(res, 504, {
          code: 'ERR_DEADLINE_EXCEEDED',
          message: `The request arrived with no time left (${DEADLINE_HEADER}: 0): the caller has already given up`,
        });
      case 'invalid':
        return sendError(res, 400, { code: 'ERR_INVALID_DEADLINE', message: parsed.reason });
      case 'valid':
        // next() inside: the rest of the chain, and everything it awaits, sees the deadline.
        return withDeadline(parsed.deadline, () => next());
      case 'absent':
        if (defaultDeadlineMs === undefined) return next();
        return withDeadline(Deadline.after(defaultDeadlineMs), () => next());
    }
  };
}
