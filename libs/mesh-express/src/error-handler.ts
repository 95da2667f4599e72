import {
  AttemptTimeoutError,
  CircuitOpenError,
  DeadlineExceededError,
  MeshClosedError,
  NoEndpointsError,
  OverloadedError,
  RetryBudgetExhaustedError,
  UpstreamRequestError,
  UpstreamStatusError,
} from '@trellis/mesh';
import type { ErrorRequestHandler } from 'express';
import { sendError, type ErrorBody } from './error-response.js';
import { defaultLogger, type ServerLogger } from './logger.js';
import { optionalWithMethods, optionsObject, rejectUnknownKeys } from './option-checks.js';

/** How one error is answered: status, body and headers, and how loudly it is logged. */
export interface ErrorMapping {
  status: number;
  error: ErrorBody['error'];
  headers: Record<string, string>;
  /** `error` for bugs (logged with the stack), `warn` for failing dependencies, `info` for bad requests. */
  logLevel: 'info' | 'warn' | 'error';
}

export interface ErrorHandlerOptions {
  /** Default: a pino logger to stdout. */
  logger?: ServerLogger;
}

const GENERIC_MESSAGE = 'Internal server error';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * `instanceof`, or the same class name and code: an app that ends up with two copies of
 * `@trellis/mesh` (two versions in node_modules) still gets the right answer.
 */
function isA(error: unknown, type: ErrorClass): boolean {
  return (
    error instanceof type ||
    (error instanceof Error &&
      error.name === type.name &&
      typeof (error as { code?: unknown }).code === 'string')
  );
}

function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : fallback;
}

/**
 * Maps an error to its answer: the mesh's errors to 502/503/504 (with `Retry-After` where a
 * retry later makes sense), body-parser's to their own 4xx status, anything else to a generic
 * 500 that reveals nothing.
 */
export function mapError(error: unknown): ErrorMapping {
  const unavailable = (message: string, retryAfterSeconds: number): ErrorMapping => ({
    status: 503,
    error: { code: codeOf(error, 'ERR_UNAVAILABLE'), message },
    headers: { 'retry-after': String(retryAfterSeconds) },
    logLevel: 'warn',
  });
  if (isA(error, CircuitOpenError)) {
    const retryAfterMs = (error as CircuitOpenError).retryAfterMs;
    const seconds = Math.max(
      1,
      Math.ceil((Number.isFinite(retryAfterMs) ? retryAfterMs : 0) / 1000),
    );
    return unavailable(
      `A service this request depends on is failing and calls to it are paused; retry after ${seconds} s`,
      seconds,
    );
  }
  if (isA(error, OverloadedError)) {
    return unavailable(
      'A service this request depends on is at its concurrency limit; retry shortly',
      1,
    );
  }
  if (isA(error, NoEndpointsError)) {
    return unavailable(
      'No instance of a service this request depends on is available; retry shortly',
      1,
    );
  }
  if (isA(error, RetryBudgetExhaustedError)) {
    return unavailable('A service this request depends on is failing broadly; retry shortly', 1);
  }
  if (isA(error, MeshClosedError)) {
    return unavailable('The server is shutting down; retry shortly', 1);
  }
  if (isA(error, DeadlineExceededError) || isA(error, AttemptTimeoutError)) {
    return {
      status: 504,
      error: {
        code: codeOf(error, 'ERR_DEADLINE_EXCEEDED'),
        message: 'The request ran out of time waiting for a service it depends on',
      },
      headers: {},
      logLevel: 'warn',
    };
  }
  if (isA(error, UpstreamStatusError)) {
    return {
      status: 502,
      error: {
        code: codeOf(error, 'ERR_UPSTREAM_STATUS'),
        message: `A service this request depends on answered ${(error as UpstreamStatusError).statusCode}`,
      },
      headers: {},
      logLevel: 'warn',
    };
  }
  if (isA(error, UpstreamRequestError)) {
    return {
      status: 502,
      error: {
        code: codeOf(error, 'ERR_UPSTREAM_REQUEST'),
        message: 'A service this request depends on could not be reached',
      },
      headers: {},
      logLevel: 'warn',
    };
  }
  const clientError = clientErrorOf(error);
  if (clientError) return clientError;
  return {
    status: 500,
    error: { code: 'ERR_INTERNAL', message: GENERIC_MESSAGE },
    headers: {},
    logLevel: 'error',
  };
}

/** body-parser's errors (http-errors with `expose`, `status` 4xx, `type`) keep their status. */
function clientErrorOf(error: unknown): ErrorMapping | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose, type, limit, message } = error as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    type?: unknown;
    limit?: unknown;
    message?: unknown;
  };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499 || expose !== true) return undefined;
  const detail = typeof message === 'string' ? message : 'bad request';
  const answer = (errorCode: string, text: string): ErrorMapping => ({
    status: code,
    error: { code: errorCode, message: text },
    headers: {},
    logLevel: 'info',
  });
  switch (type) {
    case 'entity.parse.failed':
      return answer('ERR_MALFORMED_BODY', `The request body could not be parsed: ${detail}`);
    case 'entity.too.large':
      return answer(
        'ERR_BODY_TOO_LARGE',
        typeof limit === 'number'
          ? `The request body is larger than the limit of ${limit} bytes`
          : 'The request body is too large',
      );
    default:
      return answer(
        typeof type === 'string'
          ? `ERR_${type.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`
          : `ERR_HTTP_${code}`,
        detail,
      );
  }
}

/**
 * The one error middleware, mounted last: answers `{ error: { code, message } }` with the status
 * `mapError` gives, logs with pino, and never sends a stack trace. When the response has already
 * started, it can only hand over to Express, which closes the connection.
 */
export function meshErrorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const checked = optionsObject(options, 'meshErrorHandler options');
  rejectUnknownKeys(checked, ['logger']);
  const logger =
    optionalWithMethods<ServerLogger>(
      checked['logger'],
      'logger',
      ['info', 'warn', 'error'],
      'a pino logger',
    ) ?? defaultLogger();
  return (error: unknown, req, res, next) => {
    const mapping = mapError(error);
    const context = {
      method: req.method,
      path: req.path,
      status: mapping.status,
      code: mapping.error.code,
    };
    if (mapping.logLevel === 'error') {
      logger.error({ ...context, err: error }, 'Unhandled error while handling a request');
    } else if (mapping.logLevel === 'warn') {
      logger.warn(
        { ...context, err: { message: error instanceof Error ? error.message : String(error) } },
        'A dependency failed the request',
      );
    } else {
      logger.info(context, 'Rejected a bad request');
    }
    if (res.headersSent) {
      next(error);
      return;
    }
    sendError(res, mapping.status, mapping.error, mapping.headers);
  };
}
