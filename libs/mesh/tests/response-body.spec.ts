import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMesh,
  DeadlineExceededError,
  RequestAbortedError,
  ResponseBodyUsedError,
  silentLogger,
  UpstreamRequestError,
  type Mesh,
  type MeshResponse,
  type ServiceClient,
  type UpstreamConfig,
} from '../src/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

let servers: TestServer[] = [];
let mesh: Mesh | undefined;

afterEach(async () => {
  await mesh?.close({ force: true });
  mesh = undefined;
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

interface TestServer {
  readonly port: number;
  /** Every TCP connection the server accepted, in order. */
  readonly connections: Socket[];
  /** Requests received. */
  hits: number;
  close(): Promise<void>;
}

/** A real HTTP server on a loopback port chosen by the OS; closed after each test. */
async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestServer> {
  const server: Server = createServer((request, response) => {
    served.hits += 1;
    handler(request, response);
  });
  // Idle connections stay open for the whole test: only the mesh closes one early.
  server.keepAliveTimeout = 60_000;
  const connections: Socket[] = [];
  server.on('connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const served: TestServer = {
    port: (server.address() as AddressInfo).port,
    connections,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(served);
  return served;
}

function clientFor(server: TestServer, config: UpstreamConfig = {}): ServiceClient {
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    upstreams: {
      files: { endpoints: [{ address: '127.0.0.1', port: server.port }], ...config },
    },
  });
  return mesh.client('files');
}

/** Calls the single endpoint of the test's mesh counts as in flight. */
function pending(): number {
  return mesh!.snapshot()[0]!.endpoints[0]!.pending;
}

/** Polls `check` until it holds; fails after `timeoutMs` rather than hang. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting: ${what}`);
    await sleep(10);
  }
}

/** `promise`, or a failure naming `what` if it does not settle within `timeoutMs`. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A call whose answer sends "first," at once and "last" only when `finish` is called. */
async function answerInTwoParts(): Promise<{ response: MeshResponse; finish: () => void }> {
  let finish = (): void => undefined;
  const server = await serve((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('first,');
    finish = () => response.end('last');
  });
  const response = await clientFor(server).get('/');
  return { response, finish: () => finish() };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** How much of a body the server has handed to its socket, and whether it wrote it all. */
interface WriteProgress {
  accepted: number;
  finished: boolean;
}

/**
 * Writes `chunks` chunks of `chunk` (or `body` in 64 KiB slices) as fast as the socket takes
 * them, waiting for 'drain' when it is full; stops when the connection closes.
 */
async function writeFast(
  response: ServerResponse,
  body: Buffer | { chunk: Buffer; chunks: number },
  progress: WriteProgress = { accepted: 0, finished: false },
): Promise<WriteProgress> {
  const slices = Buffer.isBuffer(body)
    ? Array.from({ length: Math.ceil(body.length / (64 * KiB)) }, (_, i) =>
        body.subarray(i * 64 * KiB, (i + 1) * 64 * KiB),
      )
    : Array.from({ length: body.chunks }, () => body.chunk);
  for (const slice of slices) {
    if (response.destroyed) return progress;
    if (!response.write(slice) && !(await drainedOrClosed(response))) return progress;
    progress.accepted += slice.length;
  }
  response.end();
  progress.finished = true;
  return progress;
}

function drainedOrClosed(response: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const drained = (): void => settle(true);
    const closed = (): void => settle(false);
    const settle = (value: boolean): void => {
      response.off('drain', drained);
      response.off('close', closed);
      resolve(value);
    };
    response.on('drain', drained);
    response.on('close', closed);
  });
}

/** Consumes a stream to its end, counting and hashing what it gives. */
function hashingSink(): Writable & { total: number; digest(): string } {
  const hash = createHash('sha256');
  const sink = new Writable({
    highWaterMark: 64 * KiB,
    write(chunk: Buffer, _encoding, callback) {
      sink.total += chunk.length;
      hash.update(chunk);
      // A slow-ish consumer, so the body's stream sees backpressure too.
      setImmediate(callback);
    },
  }) as Writable & { total: number; digest(): string };
  sink.total = 0;
  sink.digest = () => hash.digest('hex');
  return sink;
}

describe('reading a body whole', () => {
  it('text() decodes UTF-8 split mid-character across two writes and drops a leading BOM', async () => {
    const text = 'naïve café: 5 € 😀';
    const bytes = Buffer.concat([BOM, Buffer.from(text, 'utf8')]);
    // The emoji is the last 4 bytes: cut between its 2nd and 3rd.
    const cut = bytes.length - 2;
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.write(bytes.subarray(0, cut));
      setTimeout(() => response.end(bytes.subarray(cut)), 50);
    });
    const response = await clientFor(server).get('/text');
    expect(await response.body.text()).toBe(text);
  });

  it('json() parses the body (BOM included) and rejects invalid JSON with a SyntaxError', async () => {
    const server = await serve((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      if (request.url === '/bad') response.end('{"sku": "tea",');
      else response.end(Buffer.concat([BOM, Buffer.from('{"sku":"tea","qty":2,"tags":["ü"]}')]));
    });
    const files = clientFor(server);
    expect(await (await files.get('/good')).body.json()).toEqual({
      sku: 'tea',
      qty: 2,
      tags: ['ü'],
    });
    await expect((await files.get('/bad')).body.json()).rejects.toThrow(SyntaxError);
  });

  it('arrayBuffer() and bytes() give exactly the bytes sent, as copies of their own', async () => {
    const sent = randomBytes(200 * KiB);
    const server = await serve((request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      if (request.url === '/small') response.end('small');
      else void writeFast(response, sent);
    });
    const files = clientFor(server);

    // Each read starts once the unread 64 KiB have paused the connection: reading resumes it.
    const first = await files.get('/a');
    await sleep(100);
    const asArrayBuffer = await first.body.arrayBuffer();
    expect(asArrayBuffer).toBeInstanceOf(ArrayBuffer);
    expect(asArrayBuffer.byteLength).toBe(sent.length);
    expect(Buffer.compare(Buffer.from(asArrayBuffer), sent)).toBe(0);

    const second = await files.get('/b');
    await sleep(100);
    const asBytes = await second.body.bytes();
    expect(asBytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(asBytes.buffer, asBytes.byteOffset, asBytes.length).equals(sent)).toBe(true);
    // Not a view into a larger (pooled) buffer.
    expect(asBytes.byteOffset).toBe(0);
    expect(asBytes.buffer.byteLength).toBe(sent.length);

    // A short body arrives as one slice of a larger socket buffer: the caller gets its own copy.
    const small = await (await files.get('/small')).body.bytes();
    expect(Buffer.from(small).toString()).toBe('small');
    expect(small.buffer.byteLength).toBe(5);
    const smallBuffer = await (await files.get('/small')).body.arrayBuffer();
    expect(smallBuffer.byteLength).toBe(5);
  });

  it("blob() is typed with the answer's content-type and holds the bytes sent", async () => {
    const sent = randomBytes(3 * KiB + 7);
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(sent);
    });
    const blob = await (await clientFor(server).get('/logo.png')).body.blob();
    expect(blob.type).toBe('image/png');
    expect(blob.size).toBe(sent.length);
    expect(Buffer.from(await blob.arrayBuffer()).equals(sent)).toBe(true);
  });
});

describe('reading a body twice', () => {
  it('refuses a second whole read with ResponseBodyUsedError naming both readers; bodyUsed flips on the first', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    const response = await clientFor(server).get('/');
    expect(response.body.bodyUsed).toBe(false);
    expect(await response.body.text()).toBe('{"ok":true}');
    expect(response.body.bodyUsed).toBe(true);

    // A second text() or json() gets ResponseBodyUsedError.
    const again = await response.body.text().catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ResponseBodyUsedError);
    expect(again).toMatchObject({ code: 'ERR_BODY_USED', upstream: 'files' });
    expect((again as Error).message).toMatch(/already read by text\(\); text\(\) cannot/);
    const asJson = await response.body.json().catch((error: unknown) => error);
    expect(asJson).toBeInstanceOf(ResponseBodyUsedError);
    expect((asJson as Error).message).toMatch(/already read by text\(\); json\(\) cannot/);

    // stream() after a whole read throws it at once, not through the stream.
    let thrown: unknown;
    try {
      response.body.stream();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ResponseBodyUsedError);
    expect(thrown).toMatchObject({ code: 'ERR_BODY_USED' });
    expect((thrown as Error).message).toMatch(/already read by text\(\); stream\(\) cannot/);
  });

  it('refuses a second read while the first still waits for the body, and the first still gets it all', async () => {
    const { response, finish } = await answerInTwoParts();
    const first = response.body.text();
    expect(response.body.bodyUsed).toBe(true);
    // bytes() while text() is pending gets ResponseBodyUsedError.
    await expect(response.body.bytes()).rejects.toMatchObject({
      code: 'ERR_BODY_USED',
      message: expect.stringMatching(/already read by text\(\); bytes\(\) cannot/),
    });
    finish();
    expect(await within(first, 'text()')).toBe('first,last');
  });

  it('refuses a whole read after stream(), and stream() gives the same stream every time', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('streamed');
    });
    const response = await clientFor(server).get('/');
    const stream = response.body.stream();
    expect(response.body.stream()).toBe(stream);
    expect(response.body.bodyUsed).toBe(true);
    // text() after stream() gets ResponseBodyUsedError.
    const refused = await response.body.text().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ResponseBodyUsedError);
    expect((refused as Error).message).toMatch(/already read by stream\(\); text\(\) cannot/);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('streamed');
  });
});

describe('streaming a body', () => {
  const size = 8 * MiB;

  async function largeBodyServer(body: Buffer): Promise<TestServer> {
    return serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      void writeFast(response, body);
    });
  }

  it('pipes an 8 MiB body through stream.pipeline intact', async () => {
    const sent = randomBytes(size);
    const server = await largeBodyServer(sent);
    const response = await clientFor(server, { timeoutMs: 60_000 }).get('/big');
    const sink = hashingSink();
    await pipeline(response.body.stream(), sink);
    expect(sink.total).toBe(size);
    expect(sink.digest()).toBe(sha256(sent));
  });

  it('reads an 8 MiB body with for await intact', async () => {
    const sent = randomBytes(size);
    const server = await largeBodyServer(sent);
    const response = await clientFor(server, { timeoutMs: 60_000 }).get('/big');
    const hash = createHash('sha256');
    let total = 0;
    for await (const chunk of response.body) {
      expect(Buffer.isBuffer(chunk)).toBe(true);
      total += chunk.length;
      hash.update(chunk);
    }
    expect(total).toBe(size);
    expect(hash.digest('hex')).toBe(sha256(sent));
    await eventually(() => pending() === 0, 'the call to end');
  });
});

describe('backpressure', () => {
  it('leaves an unread 64 MiB body on the connection, and streams it all once read', async () => {
    const chunk = randomBytes(64 * KiB);
    const chunks = 1024; // 64 MiB
    const progress: WriteProgress = { accepted: 0, finished: false };
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      void writeFast(response, { chunk, chunks }, progress);
    });
    const response = await clientFor(server, { timeoutMs: 60_000 }).get('/huge');
    await sleep(300);
    // Unread, only what the socket buffers on both sides hold gets through (3.7 MiB seen on
    // loopback); read eagerly, all 64 MiB did within these 300 ms.
    expect(progress.accepted).toBeLessThan(24 * MiB);
    expect(progress.finished).toBe(false);

    let total = 0;
    for await (const piece of response.body.stream()) total += (piece as Buffer).length;
    expect(total).toBe(chunks * chunk.length);
    expect(progress.finished).toBe(true);
  });
});

describe('stopping a stream early', () => {
  /** Serves an endless-looking 256 MiB body; says when the server's socket closed. */
  async function bottomlessServer(): Promise<{
    server: TestServer;
    progress: WriteProgress;
    socketClosed: Promise<void>;
  }> {
    const progress: WriteProgress = { accepted: 0, finished: false };
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const chunk = randomBytes(64 * KiB);
    const server = await serve((request, response) => {
      request.socket.once('close', closed);
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      void writeFast(response, { chunk, chunks: 4096 }, progress);
    });
    return { server, progress, socketClosed };
  }

  it('destroying the stream after the first chunk aborts the connection and frees the endpoint', async () => {
    const { server, progress, socketClosed } = await bottomlessServer();
    const response = await clientFor(server, { timeoutMs: 60_000 }).get('/endless');
    expect(pending()).toBe(1);
    const stream = response.body.stream();
    const errors: unknown[] = [];
    stream.on('error', (error) => errors.push(error));
    await new Promise<void>((resolve) =>
      stream.once('data', () => {
        stream.destroy();
        resolve();
      }),
    );
    await within(socketClosed, "the server's socket closing");
    expect(progress.finished).toBe(false);
    await eventually(() => pending() === 0, 'pending to return to 0');
    // The reader's own destroy() is not an error.
    expect(errors).toEqual([]);
  });

  it('leaving a for await loop early aborts the connection and frees the endpoint', async () => {
    const { server, progress, socketClosed } = await bottomlessServer();
    const response = await clientFor(server, { timeoutMs: 60_000 }).get('/endless');
    let seen = 0;
    for await (const chunk of response.body) {
      seen += chunk.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    await within(socketClosed, "the server's socket closing");
    expect(progress.finished).toBe(false);
    await eventually(() => pending() === 0, 'pending to return to 0');
  });
});

describe('dump()', () => {
  /**
   * Answers `/<bytes>` with that many bytes, with a content-length unless `?chunked`; records
   * each request's write progress and each server-side socket that closes.
   */
  async function sizedServer(): Promise<{
    server: TestServer;
    writes: WriteProgress[];
    closes: Socket[];
  }> {
    const writes: WriteProgress[] = [];
    const closes: Socket[] = [];
    const server = await serve((request, response) => {
      const url = new URL(request.url!, 'http://test');
      const bytes = Buffer.alloc(Number(url.pathname.slice(1)), 'x');
      request.socket.once('close', () => closes.push(request.socket));
      response.writeHead(200, {
        'content-type': 'text/plain',
        ...(url.searchParams.has('chunked') ? {} : { 'content-length': bytes.length }),
      });
      const progress: WriteProgress = { accepted: 0, finished: false };
      writes.push(progress);
      void writeFast(response, bytes, progress);
    });
    return { server, writes, closes };
  }

  async function dumpTwice(files: ServiceClient, path: string, limit?: number): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const response = await files.get(path);
      // Let the unread body pause the connection first: dump() must resume it.
      await sleep(50);
      await within(response.body.dump(limit === undefined ? undefined : { limit }), 'dump()');
      expect(response.body.bodyUsed).toBe(true);
      // undici hands a connection whose response just ended to the next request one turn later;
      // without a pause the pool would open a second connection, dump() or not.
      await sleep(20);
    }
  }

  it('reads a body under the limit (100 KiB, more than is held unread) to its end and keeps the connection', async () => {
    const { server, writes, closes } = await sizedServer();
    const files = clientFor(server);
    await dumpTwice(files, `/${100 * KiB}`);
    expect(server.hits).toBe(2);
    expect(writes.every((write) => write.finished)).toBe(true);
    expect(server.connections).toHaveLength(1);
    expect(closes).toHaveLength(0);
    expect(pending()).toBe(0);
  });

  it('reads a body of exactly the default limit (128 KiB) to its end, with or without a content-length', async () => {
    const { server, closes } = await sizedServer();
    const files = clientFor(server);
    await dumpTwice(files, `/${128 * KiB}`);
    await dumpTwice(files, `/${128 * KiB}?chunked`);
    expect(server.hits).toBe(4);
    expect(server.connections).toHaveLength(1);
    expect(closes).toHaveLength(0);
  });

  it('closes the connection instead of reading a body whose content-length is over the limit', async () => {
    const { server, closes } = await sizedServer();
    const files = clientFor(server);
    const response = await files.get(`/${MiB}`);
    await within(response.body.dump(), 'dump()');
    await eventually(() => closes.length === 1, "the server's socket to close");
    await eventually(() => pending() === 0, 'pending to return to 0');
    // The next call needs a new connection.
    await (await files.get('/10')).body.dump();
    expect(server.connections).toHaveLength(2);
  });

  it('gives up at once on a content-length over the limit, without waiting for the body', async () => {
    let closed = false;
    const server = await serve((request, response) => {
      request.socket.once('close', () => (closed = true));
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': MiB });
      // A first few bytes, and the rest never comes.
      response.write('0123456789');
    });
    const response = await clientFor(server).get('/stalled');
    await within(response.body.dump(), 'dump()');
    await eventually(() => closed, "the server's socket to close");
    await eventually(() => pending() === 0, 'pending to return to 0');
  });

  it('closes the connection once a chunked body has run past the limit', async () => {
    const { server, writes, closes } = await sizedServer();
    const files = clientFor(server);
    // Far more than the socket buffers hold, so the server cannot finish unless it is read.
    const response = await files.get(`/${32 * MiB}?chunked`);
    await within(response.body.dump(), 'dump()');
    await eventually(() => closes.length === 1, "the server's socket to close");
    expect(writes[0]!.finished).toBe(false);
    await eventually(() => pending() === 0, 'pending to return to 0');
  });

  it('reads a 1 MiB body to its end under a 2 MiB limit and keeps the connection', async () => {
    const { server, closes } = await sizedServer();
    const files = clientFor(server);
    await dumpTwice(files, `/${MiB}`, 2 * MiB);
    expect(server.hits).toBe(2);
    expect(server.connections).toHaveLength(1);
    expect(closes).toHaveLength(0);
  });

  it('resolves when the server kills the connection mid-body, whether dump() came before or after', async () => {
    const server = await serve((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('part of the body');
      setTimeout(() => request.socket.destroy(), request.url === '/late' ? 0 : 100);
    });
    const files = clientFor(server, { retries: false });

    const before = await files.get('/early');
    await within(before.body.dump(), 'dump() before the kill');

    const after = await files.get('/late');
    await eventually(() => pending() === 0, 'the client to see the connection die');
    await within(after.body.dump(), 'dump() after the kill');
  });

  it('leaves a body someone already reads alone: dump() resolves and the reader gets it all', async () => {
    const { response, finish } = await answerInTwoParts();
    const reading = response.body.text();
    await within(response.body.dump(), 'dump()');
    finish();
    expect(await within(reading, 'text()')).toBe('first,last');
  });
});

describe('a connection that fails mid-body', () => {
  /** Sends headers and part of a body, then destroys the socket after `killAfterMs`. */
  async function dyingServer(killAfterMs: number): Promise<TestServer> {
    return serve((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('part of the body');
      setTimeout(() => request.socket.destroy(), killAfterMs);
    });
  }

  it('rejects a pending text() with the transport error instead of hanging', async () => {
    const server = await dyingServer(100);
    const response = await clientFor(server).get('/');
    const error = await within(
      response.body.text().then(
        (text) => `resolved with ${JSON.stringify(text)}`,
        (e: unknown) => e,
      ),
      'text()',
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ResponseBodyUsedError);
  });

  it('rejects a text() begun after the connection died', async () => {
    const server = await dyingServer(0);
    const response = await clientFor(server).get('/');
    await eventually(() => pending() === 0, 'the client to see the connection die');
    await expect(within(response.body.text(), 'text()')).rejects.toBeInstanceOf(Error);
  });

  it('destroys a stream being read with the error', async () => {
    const server = await dyingServer(100);
    const response = await clientFor(server).get('/');
    const stream = response.body.stream();
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    const [error] = (await within(once(stream, 'error'), "the stream's error")) as [unknown];
    expect(error).toBeInstanceOf(Error);
    expect(Buffer.concat(received).toString()).toBe('part of the body');
    expect(stream.destroyed).toBe(true);
  });
});

describe('the deadline while the body arrives', () => {
  it('rejects text() with DeadlineExceededError when the body stalls past timeoutMs', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('one chunk, then nothing');
    });
    const started = performance.now();
    const response = await clientFor(server).get('/stall', { timeoutMs: 200 });
    expect(response.statusCode).toBe(200);
    const error = await within(
      response.body.text().then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      'text()',
    );
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED' });
    // Not before the deadline (timers may fire a millisecond or so early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    await eventually(() => pending() === 0, 'pending to return to 0');
  });

  it('destroys a stream with DeadlineExceededError when the body stalls past timeoutMs', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('one chunk, then nothing');
    });
    const response = await clientFor(server).get('/stall', { timeoutMs: 200 });
    const stream = response.body.stream();
    stream.resume();
    const [error] = (await within(once(stream, 'error'), "the stream's error")) as [unknown];
    expect(error).toBeInstanceOf(DeadlineExceededError);
  });
});

describe("the caller's signal while the body arrives", () => {
  it('rejects text() with RequestAbortedError carrying the reason, as before the answer', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('one chunk, then nothing');
    });
    const controller = new AbortController();
    const response = await clientFor(server).get('/stall', { signal: controller.signal });
    const read = response.body.text().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const reason = new Error('the user went away');
    controller.abort(reason);
    const error = await within(read, 'text()');
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(error).toMatchObject({ code: 'ERR_ABORTED', cause: reason });
    await eventually(() => pending() === 0, 'pending to return to 0');
  });
});

describe('answers without a plain body', () => {
  it('gives an empty body for HEAD, read or dumped', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5000 });
      response.end();
    });
    const files = clientFor(server);
    const read = await files.request({ method: 'HEAD', path: '/file' });
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-length']).toBe('5000');
    expect(await within(read.body.text(), 'text()')).toBe('');
    const dumped = await files.request({ method: 'HEAD', path: '/file' });
    await within(dumped.body.dump(), 'dump()');
    expect(server.hits).toBe(2);
    await eventually(() => pending() === 0, 'pending to return to 0');
  });

  it('skips a 103 Early Hints answer: the caller gets the final 200 and its body', async () => {
    const server = await serve((_request, response) => {
      response.writeEarlyHints({ link: '</a.css>; rel=preload' });
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('final body');
      }, 20);
    });
    const response = await clientFor(server).get('/page');
    expect(response.statusCode).toBe(200);
    expect(response.headers.link).toBeUndefined();
    expect(await response.body.text()).toBe('final body');
  });
});

describe('fault-injected answers', () => {
  const expected = { error: 'fault injected by the mesh', statusCode: 503 };

  it('have a body json() reads, and one more read is refused', async () => {
    const server = await serve((_request, response) => response.end('real'));
    const files = clientFor(server, { faults: { abort: { percent: 100, status: 503 } } });
    const response = await files.get('/');
    expect(response.statusCode).toBe(503);
    expect(response.body.bodyUsed).toBe(false);
    expect(await response.body.json()).toEqual(expected);
    // A second read gets ResponseBodyUsedError, as for a real answer.
    await expect(response.body.text()).rejects.toMatchObject({ code: 'ERR_BODY_USED' });
    expect(server.hits).toBe(0);
  });

  it('have a body for await reads, when the fault comes from the request header', async () => {
    const server = await serve((_request, response) => response.end('real'));
    const files = clientFor(server, { faults: { allowHeader: true } });
    const response = await files.get('/', { headers: { 'x-trellis-fault': 'abort=503' } });
    expect(response.statusCode).toBe(503);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe(JSON.stringify(expected));
    const blob = await (
      await files.get('/', { headers: { 'x-trellis-fault': 'abort=503' } })
    ).body.blob();
    expect(blob.type).toBe('application/json');
    expect(JSON.parse(await blob.text())).toEqual(expected);
    expect(server.hits).toBe(0);
  });
});

describe('a streamed request body', () => {
  it('is destroyed, and not resent, when the server drops the connection before answering', async () => {
    const server = await serve((request) => {
      // Drop the connection once part of the body has arrived, with more still to come.
      request.once('data', () => request.socket.destroy());
    });
    const files = clientFor(server);
    const body = new PassThrough();
    body.write('the first part; the rest never comes');
    // PUT is idempotent: only the stream body keeps it from being retried.
    const error = await within(
      files.request({ method: 'PUT', path: '/upload', body }).then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      'the call',
    );
    expect(error).toBeInstanceOf(UpstreamRequestError);
    expect(body.destroyed).toBe(true);
    expect(server.hits).toBe(1);
    expect(pending()).toBe(0);
  });

  it('is destroyed when the connection is refused, before any of it was sent', async () => {
    // undici never touches a body it did not start sending: the mesh's handler releases it.
    // Port 1 (tcpmux) is privileged and unused, so no other test's server can be handed it.
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { files: { endpoints: [{ address: '127.0.0.1', port: 1 }] } },
    });
    const body = new PassThrough();
    body.write('never sent');
    const error = await within(
      mesh
        .client('files')
        .request({ method: 'PUT', path: '/upload', body })
        .then(
          () => 'resolved',
          (e: unknown) => e,
        ),
      'the call',
    );
    expect(error).toBeInstanceOf(UpstreamRequestError);
    expect((error as UpstreamRequestError).message).toContain('ECONNREFUSED');
    expect(body.destroyed).toBe(true);
  });
});
