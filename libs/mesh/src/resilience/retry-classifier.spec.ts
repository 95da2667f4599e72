import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Agent, errors as undiciErrors, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError, RequestAbortedError, UpstreamRequestError } from '../errors.js';
import {
  classifyFailure,
  countsAsEndpointFailure,
  mayRetry,
  type FailureKind,
} from './retry-classifier.js';

const servers: Server[] = [];
const agent = new Agent({ connect: { timeout: 1_000 } });

afterAll(async () => {
  await agent.close();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A loopback server that does `onRequest` with the socket once the request bytes arrive. */
async function rawServer(onRequest: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => socket.once('data', () => onRequest(socket)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function failureOf(
  origin: string,
  options: { headersTimeout?: number; signal?: AbortSignal } = {},
): Promise<unknown> {
  try {
    const response = await request(origin, { dispatcher: agent, method: 'POST', ...options });
    await response.body.dump();
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

function nodeError(code: string, syscall = 'connect'): Error {
  return Object.assign(new Error(`${syscall} ${code} 10.0.0.1:80`), { code, syscall });
}

/** The two ways the mesh hands a transport error on: its own wrapper, and a bare shape. */
function wrapped(error: unknown): unknown[] {
  return [
    new UpstreamRequestError('orders', '10.0.0.1:80', error),
    { code: 'ERR_UPSTREAM_REQUEST', cause: error },
    new Error('send failed', { cause: { code: 'ERR_UPSTREAM_REQUEST', cause: error } }),
  ];
}

function kindOf(error: unknown): FailureKind | undefined {
  return classifyFailure({ kind: 'error', error });
}

describe('classifyFailure on real transport errors', () => {
  const real: Record<string, unknown> = {};

  beforeAll(async () => {
    real.refused = await failureOf(await closedPort());
    real.reset = await failureOf(await rawServer((socket) => socket.resetAndDestroy()));
    real.closed = await failureOf(await rawServer((socket) => socket.destroy()));
    const silent = await rawServer(() => {});
    real.headersTimeout = await failureOf(silent, { headersTimeout: 50 });
    const attemptTimeout = new MeshError('ERR_ATTEMPT_TIMEOUT', 'No response in time', {
      advice: 'retry elsewhere',
    });
    real.abortedByAttemptTimeout = await failureOf(silent, {
      signal: AbortSignal.abort(attemptTimeout),
    });
    real.abortedByCaller = await failureOf(silent, { signal: AbortSignal.abort() });
  });

  it('sees a refused connection as a connect failure, bare or wrapped', () => {
    expect(real.refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(kindOf(real.refused)).toBe('connect');
    for (const error of wrapped(real.refused)) expect(kindOf(error)).toBe('connect');
  });

  it('sees a reset by the server as a reset before the response, bare or wrapped', () => {
    expect(real.reset).toMatchObject({ code: 'ECONNRESET' });
    expect(kindOf(real.reset)).toBe('reset-before-response');
    for (const error of wrapped(real.reset)) expect(kindOf(error)).toBe('reset-before-response');
  });

  it('sees "other side closed" as a reset before the response, bare or wrapped', () => {
    expect(real.closed).toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(kindOf(real.closed)).toBe('reset-before-response');
    for (const error of wrapped(real.closed)) expect(kindOf(error)).toBe('reset-before-response');
  });

  it("sees undici's headers timeout as a timeout, bare or wrapped", () => {
    expect(real.headersTimeout).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(kindOf(real.headersTimeout)).toBe('timeout');
    for (const error of wrapped(real.headersTimeout)) expect(kindOf(error)).toBe('timeout');
  });

  it("sees an attempt aborted by the mesh's per-attempt timeout as a timeout", () => {
    expect(kindOf(real.abortedByAttemptTimeout)).toBe('timeout');
    for (const error of wrapped(real.abortedByAttemptTimeout))
      expect(kindOf(error)).toBe('timeout');
  });

  it('sees an attempt aborted without a reason as nothing a retry fixes', () => {
    expect(kindOf(real.abortedByCaller)).toBe('other');
  });
});

describe('classifyFailure on other error shapes', () => {
  it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])(
    'sees %s as a connect failure',
    (code) => {
      expect(kindOf(nodeError(code))).toBe('connect');
      for (const error of wrapped(nodeError(code))) expect(kindOf(error)).toBe('connect');
    },
  );

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('sees a DNS failure (%s) as a connect failure', (code) => {
    expect(kindOf(nodeError(code, 'getaddrinfo'))).toBe('connect');
  });

  it("sees undici's connect timeout as a connect failure", () => {
    const error = new undiciErrors.ConnectTimeoutError();
    expect(error.code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(kindOf(error)).toBe('connect');
    for (const one of wrapped(error)) expect(kindOf(one)).toBe('connect');
  });

  it('sees EPIPE as a reset before the response', () => {
    expect(kindOf(nodeError('EPIPE', 'write'))).toBe('reset-before-response');
  });

  it('sees the mesh per-attempt timeout and a kernel timeout as timeouts', () => {
    const attemptTimeout = new MeshError('ERR_ATTEMPT_TIMEOUT', 'No response in time', {
      advice: 'retry elsewhere',
    });
    expect(kindOf(attemptTimeout)).toBe('timeout');
    expect(kindOf({ code: 'ERR_ATTEMPT_TIMEOUT' })).toBe('timeout');
    expect(kindOf(nodeError('ETIMEDOUT', 'read'))).toBe('timeout');
  });

  it('sees a happy-eyeballs AggregateError of refused addresses as a connect failure', () => {
    const error = new AggregateError([nodeError('ECONNREFUSED'), nodeError('ENETUNREACH')]);
    expect(kindOf(error)).toBe('connect');
    const mixed = new AggregateError([nodeError('ECONNREFUSED'), nodeError('ETIMEDOUT')]);
    expect(kindOf(mixed)).toBe('timeout');
  });

  it('stops at mesh verdicts on the whole call, whatever transport error lies beneath', () => {
    const reset = nodeError('ECONNRESET', 'read');
    expect(kindOf(new RequestAbortedError('orders', reset))).toBe('other');
    const spent = new MeshError('ERR_RETRY_BUDGET_EXHAUSTED', 'Retry refused', {
      advice: 'the upstream is failing broadly',
      cause: nodeError('ECONNREFUSED'),
    });
    expect(kindOf(spent)).toBe('other');
  });

  it('follows a few levels of causes, not endlessly', () => {
    let error: unknown = nodeError('ECONNREFUSED');
    for (let level = 0; level < 4; level++) error = { code: 'ERR_WRAPPED', cause: error };
    expect(kindOf(error)).toBe('connect');
    error = { code: 'ERR_WRAPPED', cause: error };
    expect(kindOf(error)).toBe('other');
  });

  it('survives cycles and values that are not errors', () => {
    const cyclic: { code: string; cause?: unknown } = { code: 'ERR_WRAPPED' };
    cyclic.cause = cyclic;
    expect(kindOf(cyclic)).toBe('other');
    for (const value of [undefined, null, 'ECONNREFUSED', 42, new Error('boom'), { code: 111 }]) {
      expect(kindOf(value)).toBe('other');
    }
    expect(kindOf(new undiciErrors.BodyTimeoutError())).toBe('other');
  });
});

describe('classifyFailure on responses', () => {
  it.each([200, 204, 301, 400, 404, 429, 499])('sees %s as success', (statusCode) => {
    expect(classifyFailure({ kind: 'response', statusCode })).toBeUndefined();
  });

  it.each([500, 501, 502, 503, 504, 505, 599])('sees %s as a status failure', (statusCode) => {
    expect(classifyFailure({ kind: 'response', statusCode })).toBe('status');
  });
});

describe('mayRetry', () => {
  it('retries a connect failure even for a non-idempotent call: it never left this machine', () => {
    expect(mayRetry('connect', undefined, false)).toBe(true);
    expect(mayRetry('connect', undefined, true)).toBe(true);
  });

  it.each<FailureKind>(['reset-before-response', 'timeout'])(
    'retries %s only when the call is idempotent',
    (kind) => {
      expect(mayRetry(kind, undefined, true)).toBe(true);
      expect(mayRetry(kind, undefined, false)).toBe(false);
    },
  );

  it.each([502, 503, 504])('retries status %s only when the call is idempotent', (statusCode) => {
    expect(mayRetry('status', statusCode, true)).toBe(true);
    expect(mayRetry('status', statusCode, false)).toBe(false);
  });

  it.each([500, 501, 505, 599, undefined])('never retries status %s', (statusCode) => {
    expect(mayRetry('status', statusCode, true)).toBe(false);
  });

  it('never retries other failures', () => {
    expect(mayRetry('other', undefined, true)).toBe(false);
    expect(mayRetry('other', 503, true)).toBe(false);
  });
});

describe('countsAsEndpointFailure', () => {
  it.each<FailureKind>(['connect', 'reset-before-response', 'timeout'])(
    'counts %s against the endpoint',
    (kind) => {
      expect(countsAsEndpointFailure(kind)).toBe(true);
    },
  );

  it('counts every 5xx status against the endpoint', () => {
    for (const statusCode of [500, 501, 502, 503, 504, 599]) {
      expect(countsAsEndpointFailure('status', statusCode)).toBe(true);
    }
    expect(countsAsEndpointFailure('status', 404)).toBe(false);
  });

  it('does not count other failures against the endpoint', () => {
    expect(countsAsEndpointFailure('other')).toBe(false);
  });
});
