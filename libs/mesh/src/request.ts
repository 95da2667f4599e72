import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export type RequestBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** One call to an upstream. Only `path` is required. */
export interface MeshRequest {
  method?: HttpMethod | (string & {});
  /** Path and query, starting with `/`. */
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  /** Raw body: a string, bytes or a stream. */
  body?: RequestBody;
  /** A value sent as JSON with `content-type: application/json`; excludes `body`. */
  json?: unknown;
  /** Time for the whole call, in ms; defaults to the upstream's `timeoutMs`. */
  timeoutMs?: number;
  /** Consistent-hash key (e.g. a user id) for hash-based balancers. */
  hashKey?: string;
  /** Aborts the call when the caller gives up. */
  signal?: AbortSignal;
}

export type ResponseBody = Dispatcher.ResponseData['body'];

/** An upstream's answer. Read or dump `body`: the endpoint counts the call as pending until then. */
export interface MeshResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** A readable stream with `.json()`, `.text()`, `.arrayBuffer()` and `.dump()`. */
  readonly body: ResponseBody;
  readonly upstream: string;
  /** `address:port` of the endpoint that answered. */
  readonly endpoint: string;
}
