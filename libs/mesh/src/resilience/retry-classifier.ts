import { MeshError } from '../errors.js';

/** What one attempt produced: a response (any status), or an error before a response arrived. */
export type AttemptOutcome =
  { kind: 'response'; statusCode: number } | { kind: 'error'; error: unknown };

/**
 * Why an attempt failed, as far as retrying is concerned:
 * - `connect`: no connection was made, so the request never left this machine;
 * - `reset-before-response`: the connection broke before a response, the server may have acted;
 * - `timeout`: no response in time, the server may still be acting;
 * - `status`: the server answered 5xx;
 * - `other`: anything else (caller abort, bad request, a bug), which a retry does not fix.
 */
export type FailureKind = 'connect' | 'reset-before-response' | 'timeout' | 'status' | 'other';

const KIND_BY_CODE: ReadonlyMap<string, FailureKind> = new Map<string, FailureKind>([
  ['ECONNREFUSED', 'connect'],
  ['EHOSTUNREACH', 'connect'],
  ['ENETUNREACH', 'connect'],
  ['EADDRNOTAVAIL', 'connect'],
  ['ENOTFOUND', 'connect'],
  ['EAI_AGAIN', 'connect'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect'],
  ['ECONNRESET', 'reset-before-response'],
  ['EPIPE', 'reset-before-response'],
  ['UND_ERR_SOCKET', 'reset-before-response'],
  ['ERR_ATTEMPT_TIMEOUT', 'timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  // A kernel-level timeout may strike after the request was written, so it is treated like one.
  ['ETIMEDOUT', 'timeout'],
]);

/** Mesh errors that only wrap a transport error; every other mesh error is a verdict on the call. */
const WRAPPER_CODES: ReadonlySet<string> = new Set(['ERR_UPSTREAM_REQUEST']);

/** How deep to follow `cause` links: the mesh wraps transport errors once or twice. */
const MAX_CAUSE_DEPTH = 4;

/** The failure an attempt amounts to, or undefined when it succeeded (any status below 500). */
export function classifyFailure(outcome: AttemptOutcome): FailureKind | undefined {
  if (outcome.kind === 'response') return outcome.statusCode >= 500 ? 'status' : undefined;
  return classifyError(outcome.error, 0, new Set());
}

function classifyError(error: unknown, depth: number, seen: Set<unknown>): FailureKind {
  if (typeof error !== 'object' || error === null || seen.has(error) || depth > MAX_CAUSE_DEPTH) {
    return 'other';
  }
  seen.add(error);
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const known = typeof code === 'string' ? KIND_BY_CODE.get(code) : undefined;
  if (known) return known;
  // A caller abort, a spent deadline or an open circuit ends the call, whatever lies beneath it.
  if (error instanceof MeshError && !WRAPPER_CODES.has(error.code)) return 'other';
  // Happy-eyeballs connects fail with an AggregateError holding one error per address tried;
  // it is a connect failure only if every address failed to connect.
  if (Array.isArray(errors)) {
    const kinds = errors
      .map((member) => classifyError(member, depth + 1, seen))
      .filter((kind) => kind !== 'other');
    if (kinds.length > 0) return kinds.find((kind) => kind !== 'connect') ?? 'connect';
  }
  return classifyError(cause, depth + 1, seen);
}

/** Statuses that say the request was not processed, or that a gateway failed to reach it. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/**
 * Whether an attempt that failed this way may be sent again. Only a failure to connect is safe
 * for every request; once a request may have reached the server, only idempotent ones go again.
 */
export function mayRetry(
  kind: FailureKind,
  statusCode: number | undefined,
  idempotent: boolean,
): boolean {
  switch (kind) {
    case 'connect':
      return true;
    case 'reset-before-response':
    case 'timeout':
      return idempotent;
    case 'status':
      return idempotent && statusCode !== undefined && RETRYABLE_STATUSES.has(statusCode);
    case 'other':
      return false;
  }
}

/** Whether the failure says something about the endpoint's health (fed to outlier detection). */
export function countsAsEndpointFailure(kind: FailureKind, statusCode?: number): boolean {
  switch (kind) {
    case 'connect':
    case 'reset-before-response':
    case 'timeout':
      return true;
    case 'status':
      return statusCode === undefined || statusCode >= 500;
    case 'other':
      return false;
  }
}
