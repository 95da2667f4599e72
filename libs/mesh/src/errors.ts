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

/** The call's own time ran out before a response arrived. */
export class RequestTimeoutError extends MeshError {
  constructor(upstream: string, timeoutMs: number, cause?: unknown) {
    super('ERR_TIMEOUT', `No response within ${timeoutMs} ms`, {
      upstream,
      advice:
        'raise the call timeout if the upstream is legitimately slow, or find out why it is slow',
      cause,
    });
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
