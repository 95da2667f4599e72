import { UpstreamStatusError, type MeshResponse } from '@trellis/mesh';
import type { Response } from 'express';
import type { z } from 'zod';

/** The `{ error: { code, message } }` body every shop service answers a refusal with. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/** An upstream's 2xx answer to use, or its 4xx refusal to relay to the caller as it is. */
export type UpstreamAnswer<Body> =
  { ok: true; statusCode: number; body: Body } | { ok: false; statusCode: number; body: ErrorBody };

/**
 * Reads an upstream's answer. A 2xx body must match `schema`; a 4xx is the caller's problem and
 * comes back to be relayed; anything else (a 5xx after the mesh's retries, or a 2xx that breaks
 * the contract) throws `UpstreamStatusError`, which the error handler answers with 502.
 */
export async function readAnswer<Schema extends z.ZodType>(
  response: MeshResponse,
  schema: Schema,
): Promise<UpstreamAnswer<z.infer<Schema>>> {
  const text = await response.body.text();
  const fail = (why: string): never => {
    throw new UpstreamStatusError(response.upstream, response.statusCode, response.endpoint, why);
  };
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    const parsed = schema.safeParse(parseJson(text));
    if (!parsed.success) return fail(`answer breaks the contract: ${parsed.error.message}`);
    return { ok: true, statusCode, body: parsed.data };
  }
  if (statusCode >= 400 && statusCode < 500) {
    return { ok: false, statusCode, body: errorBodyOf(parseJson(text), response) };
  }
  return fail(text);
}

/** Sends an upstream's refusal on, with its status and body. */
export function relayRefusal(response: Response, answer: { statusCode: number; body: ErrorBody }) {
  response.status(answer.statusCode).json(answer.body);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorBodyOf(value: unknown, response: MeshResponse): ErrorBody {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return value as ErrorBody;
  }
  return {
    error: {
      code: 'ERR_UPSTREAM_REFUSED',
      message: `the ${response.upstream} service refused the request (${response.statusCode})`,
    },
  };
}
