import type { Response } from 'express';

/** Every error this library answers with has this JSON shape. */
export interface ErrorBody {
  error: {
    /** Stable and machine-readable, e.g. `ERR_CIRCUIT_OPEN`. */
    code: string;
    /** For people; never a stack trace. */
    message: string;
    /** Which load-shedding limit refused the request, on shed responses. */
    limit?: string;
  };
}

/** Answers with `{ error: { code, message } }`, plus any headers (e.g. `Retry-After`). */
export function sendError(
  res: Response,
  status: number,
  error: ErrorBody['error'],
  headers: Readonly<Record<string, string>> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('cache-control', 'no-store');
  res.status(status).json({ error } satisfies ErrorBody);
}
