/** Every error the mesh raises: a stable `code`, the upstream it concerns, and what to do. */
export class MeshError extends Error {
  readonly code: string;
  readonly upstream: string | undefined;
  readonly advice: string;

  constructor(
    code: string,
    message: string,
    options: { upstream?: string; advice: string; cause?: unknown },
  ) {
    super(
      `${message} (${code}${options.upstream ? `, upstream "${options.upstream}"` : ''}): ${options.advice}`,
      {
        cause: options.cause,
      },
    );
    this.name = new.target.name;
    this.code = code;
    this.upstream = options.upstream;
    this.advice = options.advice;
  }
}

/** Configuration that can never work: fix the code or the environment, retrying will not help. */
export class MeshConfigError extends MeshError {}

/** The upstream has no endpoint to send to (none discovered, or all removed). */
export class NoEndpointsError extends MeshError {
  constructor(upstream: string, detail = 'no endpoints are known') {
    super('ERR_NO_ENDPOINTS', `Cannot route a request: ${detail}`, {
      upstream,
      advice:
        'check that instances of this service are running and registered, and that the resolver points at the right place',
    });
  }
}

/** Sending to one endpoint failed before a response arrived (connect refused, reset, timeout). */
export class UpstreamRequestError extends MeshError {
  readonly endpoint: string;
  constructor(upstream: string, endpoint: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const causeCode = (cause as { code?: string } | undefined)?.code;
    super(
      'ERR_UPSTREAM_REQUEST',
      `Request to ${endpoint} failed: ${reason}${causeCode ? ` [${causeCode}]` : ''}`,
      {
        upstream,
        advice:
          'the endpoint may be down or overloaded; the mesh will steer later requests away from it',
        cause,
      },
    );
    this.endpoint = endpoint;
  }
}

/** The caller aborted the request through its own AbortSignal. */
export class RequestAbortedError extends MeshError {
  constructor(upstream: string, cause?: unknown) {
    super('ERR_ABORTED', 'The request was aborted by its caller', {
      upstream,
      advice: 'nothing to fix in the mesh: the caller gave up on this request',
      cause,
    });
  }
}

/** The request itself is malformed (bad path, method or body); sending it again will not help. */
export class InvalidRequestError extends MeshError {
  constructor(upstream: string, message: string, advice: string) {
    super('ERR_INVALID_REQUEST', message, { upstream, advice });
  }
}

/** The mesh was closed; no more requests can be made through it. */
export class MeshClosedError extends MeshError {
  constructor(upstream?: string) {
    super('ERR_MESH_CLOSED', 'The mesh has been closed', {
      upstream,
      advice: 'create a new mesh, or stop making requests after calling close()',
    });
  }
}

/** The upstream answered, but not with a success status (raised by helpers that expect 2xx). */
export class UpstreamStatusError extends MeshError {
  readonly statusCode: number;
  readonly endpoint: string;
  readonly responseText: string;
  constructor(upstream: string, statusCode: number, endpoint: string, responseText: string) {
    super('ERR_UPSTREAM_STATUS', `Upstream answered ${statusCode} from ${endpoint}`, {
      upstream,
      advice: "read responseText for the upstream's own explanation",
    });
    this.statusCode = statusCode;
    this.endpoint = endpoint;
    this.responseText = responseText.slice(0, 2_000);
  }
}

/** One attempt ran past its share of the call's time; the call may go on with another attempt. */
export class AttemptTimeoutError extends MeshError {
  constructor(upstream: string, endpoint: string, timeoutMs: number) {
    super(
      'ERR_ATTEMPT_TIMEOUT',
      `No response from ${endpoint} within the attempt's ${Math.round(timeoutMs)} ms`,
      {
        upstream,
        advice: 'the endpoint is slow or hung; the mesh retries elsewhere when the call allows it',
      },
    );
  }
}

/** The upstream's circuit breaker is open: calls fail fast instead of piling onto a failing service. */
export class CircuitOpenError extends MeshError {
  /** When a trial call will be let through, in ms from now; servers send it as Retry-After. */
  readonly retryAfterMs: number;
  constructor(upstream: string, retryAfterMs: number) {
    super('ERR_CIRCUIT_OPEN', 'The circuit breaker is open: recent calls mostly failed', {
      upstream,
      advice: `retry after ${Math.ceil(retryAfterMs / 1000)} s; answer your own caller with 503 and Retry-After`,
    });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The upstream's concurrency cap (bulkhead) is full. */
export class OverloadedError extends MeshError {
  constructor(upstream: string, maxConcurrent: number) {
    super('ERR_OVERLOADED', `${maxConcurrent} calls are already in flight to this upstream`, {
      upstream,
      advice:
        'shed load upstream of this call (503 + Retry-After), or raise maxConcurrent if the upstream can take it',
    });
  }
}

/** A failed call could have been retried, but the retry budget was spent. */
export class RetryBudgetExhaustedError extends MeshError {
  constructor(upstream: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_RETRY_BUDGET_EXHAUSTED', `Retry refused by the retry budget after: ${reason}`, {
      upstream,
      advice:
        'the upstream is failing broadly; retries are capped so they do not multiply the load',
      cause,
    });
  }
}

/** A response body can be read once: a second `text()`, `json()`, `stream()`... finds it taken. */
export class ResponseBodyUsedError extends MeshError {
  constructor(upstream: string, firstUse: string, secondUse: string) {
    super(
      'ERR_BODY_USED',
      `The response body was already read by ${firstUse}(); ${secondUse}() cannot read it again`,
      {
        upstream,
        advice: `read a response body once: keep what ${firstUse}() gave, or use stream() alone to read it in parts`,
      },
    );
  }
}

/** `dump()` met a body longer than its limit, so it closed the connection instead of reading on. */
export class ResponseBodyDumpedError extends MeshError {
  constructor(upstream: string, limit: number) {
    super('ERR_BODY_DUMPED', `The response body was longer than dump()'s ${limit} byte limit`, {
      upstream,
      advice: 'nothing to fix: the connection was closed rather than read to its end',
    });
  }
}
