import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Deadline } from './deadline/deadline.js';

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
  /** The deadline this call serves; defaults to the one of the inbound request being handled. */
  deadline?: Deadline;
  /**
   * Whether sending this request twice is safe. Default: true for GET, HEAD, OPTIONS, PUT, DELETE
   * and for any request with an `Idempotency-Key` header; false otherwise.
   */
  idempotent?: boolean;
  /** Most retries for this call; 0 turns retries off. Default: the upstream's `retries.maxRetries`. */
  retries?: number;
  /** Send a second copy to another endpoint if the first is slow (idempotent calls only). */
  hedge?: boolean;
}

/**
 * An answer's body, read once: whole (`text`, `json`, `arrayBuffer`, `bytes`, `blob`), as a stream
 * (`stream()`, or `for await` over the body), or discarded (`dump`). Until it is read, up to 64 KiB
 * wait in memory and the rest waits on the connection.
 */
export interface ResponseBody extends AsyncIterable<Buffer> {
  /** The body as UTF-8 text; a leading byte-order mark is dropped. */
  text(): Promise<string>;
  /** The body parsed as JSON. */
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  /** The body as a Blob typed with the answer's content-type. */
  blob(): Promise<Blob>;
  /**
   * Discards the body. A body of up to `limit` bytes (default 128 KiB) is read to its end, so the
   * connection is reused; a longer one closes the connection instead. Never rejects.
   */
  dump(options?: { limit?: number }): Promise<void>;
  /** The body as a Node.js Readable, for piping; the same stream on every call. */
  stream(): Readable;
  /** True once a read (or `dump`) has begun. */
  readonly bodyUsed: boolean;
}

/**
 * An upstream's answer. Read or dump `body`: the endpoint counts the call as pending until its
 * last byte has arrived, which a large unread body never does.
 */
export interface MeshResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** Read it once with `.json()`, `.text()`, `.bytes()`, `.stream()`..., or discard it with `.dump()`. */
  readonly body: ResponseBody;
  readonly upstream: string;
  /** `address:port` of the endpoint that answered. */
  readonly endpoint: string;
}
