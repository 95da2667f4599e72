import {
  UpstreamRequestError,
  UpstreamStatusError,
  type MeshRequest,
  type ServiceClient,
} from '@trellis/mesh';
import type { ZodType } from 'zod';
import { CheckoutError } from './checkout-error.js';

/** One upstream answer, read in full (so the endpoint stops counting it as in flight). */
export interface UpstreamAnswer {
  readonly upstream: string;
  readonly endpoint: string;
  readonly status: number;
  readonly text: string;
}

/** Sends a request through the mesh and reads the whole answer; mesh failures propagate as they are. */
export async function send(client: ServiceClient, request: MeshRequest): Promise<UpstreamAnswer> {
  const response = await client.request({
    ...request,
    headers: { accept: 'application/json', ...request.headers },
  });
  try {
    const text = await response.body.text();
    return {
      upstream: client.name,
      endpoint: response.endpoint,
      status: response.statusCode,
      text,
    };
  } catch (error) {
    // The connection broke mid-body: the upstream's fault, answered 502 like any unreachable one.
    throw new UpstreamRequestError(client.name, response.endpoint, error);
  }
}

/** The answer's body in the shape the contract promises; anything else is the upstream's fault. */
export function read<T>(answer: UpstreamAnswer, shape: ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(answer.text);
  } catch {
    throw contractBroken(answer, 'the body is not JSON');
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw contractBroken(answer, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A status the contract does not foresee; the shared error handler answers it with 502. */
export function unexpected(answer: UpstreamAnswer): UpstreamStatusError {
  return new UpstreamStatusError(answer.upstream, answer.status, answer.endpoint, answer.text);
}

function contractBroken(answer: UpstreamAnswer, problem: string): CheckoutError {
  return new CheckoutError(
    502,
    'ERR_UPSTREAM_CONTRACT',
    `the ${answer.upstream} service answered ${answer.status} with a body checkout cannot use (${problem})`,
  );
}
