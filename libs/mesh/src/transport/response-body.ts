import { Readable } from 'node:stream';
import { RequestAbortedError, ResponseBodyDumpedError, ResponseBodyUsedError } from '../errors.js';
import type { ResponseBody } from '../request.js';

/** Bytes an unread body holds in memory before the connection stops reading (undici's too). */
export const UNREAD_BODY_LIMIT_BYTES = 64 * 1024;
/** Bytes `dump()` reads to keep a connection; a longer body closes it instead (undici's too). */
export const DEFAULT_DUMP_LIMIT_BYTES = 128 * 1024;

/** What a body needs from its connection: flow control, and a way to give up on the rest. */
export interface BodySource {
  pause(): void;
  resume(): void;
  abort(reason: Error): void;
}

type WholeRead = 'text' | 'json' | 'arrayBuffer' | 'bytes' | 'blob';

interface Waiter {
  readonly read: WholeRead | 'dump';
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const NO_SOURCE: BodySource = { pause() {}, resume() {}, abort() {} };

/**
 * A response body fed by the connection. A Node stream costs more per response than the rest of
 * the call's transport, and most answers are read whole or dumped: so the chunks wait in a list,
 * and a stream is made only for a caller that asks for one.
 */
export class MeshResponseBody implements ResponseBody {
  #chunks: Buffer[] = [];
  #heldBytes = 0;
  #receivedBytes = 0;
  #ended = false;
  #error: Error | undefined = undefined;
  #paused = false;
  /** The first reader's name: set once, and every later reader is refused. */
  #reader: string | undefined = undefined;
  #waiter: Waiter | undefined = undefined;
  #dumpLimit = DEFAULT_DUMP_LIMIT_BYTES;
  #stream: Readable | undefined = undefined;

  constructor(
    private readonly upstream: string,
    private readonly source: BodySource,
    private readonly contentType: string | undefined,
    /** From the answer's content-length, when it gave one. */
    private readonly contentLength: number | undefined,
  ) {}

  /** A body that is already complete: the answer to an injected fault. */
  static complete(upstream: string, bytes: Buffer, contentType: string): MeshResponseBody {
    const body = new MeshResponseBody(upstream, NO_SOURCE, contentType, bytes.length);
    body.push(bytes);
    body.end();
    return body;
  }

  get bodyUsed(): boolean {
    return this.#reader !== undefined;
  }

  // The connection's side.

  push(chunk: Buffer): void {
    this.#receivedBytes += chunk.length;
    if (this.#stream) {
      if (!this.#stream.push(chunk)) this.#pause();
      return;
    }
    if (this.#reader === 'dump') {
      if (this.#receivedBytes > this.#dumpLimit) this.#giveUp();
      return;
    }
    this.#chunks.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#reader === undefined && this.#heldBytes >= UNREAD_BODY_LIMIT_BYTES) this.#pause();
  }

  end(): void {
    if (this.#ended || this.#error) return;
    this.#ended = true;
    if (this.#stream) this.#stream.push(null);
    else this.#settleWaiter();
  }

  fail(error: Error): void {
    if (this.#ended || this.#error) return;
    this.#error = error;
    this.#takeChunks();
    if (this.#stream) this.#stream.destroy(error);
    else this.#settleWaiter();
  }

  // The reader's side.

  text(): Promise<string> {
    return this.#readWhole('text') as Promise<string>;
  }

  json(): Promise<unknown> {
    return this.#readWhole('json');
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#readWhole('arrayBuffer') as Promise<ArrayBuffer>;
  }

  bytes(): Promise<Uint8Array> {
    return this.#readWhole('bytes') as Promise<Uint8Array>;
  }

  blob(): Promise<Blob> {
    return this.#readWhole('blob') as Promise<Blob>;
  }

  dump(options?: { limit?: number }): Promise<void> {
    // A body someone already reads is theirs to finish.
    if (this.#reader !== undefined) return Promise.resolve();
    this.#reader = 'dump';
    this.#takeChunks();
    if (this.#ended || this.#error) return Promise.resolve();
    const limit = options?.limit;
    if (limit !== undefined && Number.isFinite(limit) && limit >= 0) this.#dumpLimit = limit;
    if ((this.contentLength ?? 0) > this.#dumpLimit || this.#receivedBytes > this.#dumpLimit) {
      this.#giveUp();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#waiter = { read: 'dump', resolve: () => resolve(), reject: () => resolve() };
      this.#resume();
    });
  }

  stream(): Readable {
    if (this.#stream) return this.#stream;
    if (this.#reader !== undefined)
      throw new ResponseBodyUsedError(this.upstream, this.#reader, 'stream');
    this.#reader = 'stream';
    const stream = new Readable({
      read: () => this.#resume(),
      destroy: (error, callback) => {
        // The reader stopped before the end: the rest of the body is not wanted.
        if (!this.#ended && !this.#error)
          this.source.abort(error ?? new RequestAbortedError(this.upstream));
        callback(error);
      },
    });
    this.#stream = stream;
    for (const chunk of this.#takeChunks()) stream.push(chunk);
    if (this.#error) stream.destroy(this.#error);
    else if (this.#ended) stream.push(null);
    return stream;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.stream()[Symbol.asyncIterator]();
  }

  #readWhole(read: WholeRead): Promise<unknown> {
    if (this.#reader !== undefined)
      return Promise.reject(new ResponseBodyUsedError(this.upstream, this.#reader, read));
    this.#reader = read;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) {
      try {
        return Promise.resolve(this.#whole(read));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { read, resolve, reject };
      this.#resume();
    });
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    if (waiter.read === 'dump') {
      waiter.resolve(undefined);
      return;
    }
    if (this.#error) {
      waiter.reject(this.#error);
      return;
    }
    try {
      waiter.resolve(this.#whole(waiter.read));
    } catch (error) {
      waiter.reject(error);
    }
  }

  /** The held chunks as what `read` asks for; JSON that does not parse throws its SyntaxError. */
  #whole(read: WholeRead): unknown {
    const chunks = this.#takeChunks();
    if (read === 'blob') return new Blob(chunks, { type: this.contentType ?? '' });
    const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (read === 'text' || read === 'json') {
      const hasByteOrderMark =
        joined.length >= 3 && joined[0] === 0xef && joined[1] === 0xbb && joined[2] === 0xbf;
      const text = joined.toString('utf8', hasByteOrderMark ? 3 : 0);
      return read === 'text' ? text : JSON.parse(text);
    }
    // A copy: the chunks may be views into larger buffers the caller must not see.
    const bytes = new Uint8Array(joined);
    return read === 'bytes' ? bytes : bytes.buffer;
  }

  /** Hands over the held chunks and holds none from now on. */
  #takeChunks(): Buffer[] {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#heldBytes = 0;
    return chunks;
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.source.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.source.resume();
  }

  /** Closes the connection rather than read a body longer than `dump()` was willing to. */
  #giveUp(): void {
    this.source.abort(new ResponseBodyDumpedError(this.upstream, this.#dumpLimit));
  }
}
