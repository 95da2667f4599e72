import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';

/** A store the service depends on cannot answer now; the request is safe to repeat. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** 503 with Retry-After for a DependencyUnavailableError; anything else goes on. */
export function dependencyUnavailableHandler(logger: Logger): ErrorRequestHandler {
  return (error, request, response, next) => {
    if (!(error instanceof DependencyUnavailableError)) return next(error);
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    logger.warn({ cause, path: request.path }, error.message);
    response
      .status(503)
      .set('retry-after', '1')
      .json({ error: { code: error.code, message: error.message } });
  };
}
