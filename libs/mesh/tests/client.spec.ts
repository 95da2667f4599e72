import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMesh,
  InvalidRequestError,
  MeshClosedError,
  MeshConfigError,
  NoEndpointsError,
  RequestAbortedError,
  DeadlineExceededError,
  silentLogger,
  UpstreamRequestError,
  UpstreamStatusError,
  type Mesh,
} from '../src/index.js';
import { closedPort } from './support/closed-port.js';
import { ControlledResolver, startReplicas, type Replica } from './support/replicas.js';

let replicas: Replica[] = [];
let mesh: Mesh | undefined;

afterEach(async () => {
  await mesh?.close({ force: true });
  mesh = undefined;
  await Promise.all(replicas.map((replica) => replica.close()));
  replicas = [];
});

function meshFor(endpoints: Replica[], extra: Parameters<typeof createMesh>[0] = {}): Mesh {
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    ...extra,
    upstreams: { catalog: { endpoints: endpoints.map((r) => r.endpoint) }, ...extra.upstreams },
  });
  return mesh;
}

describe('ServiceClient requests', () => {
  it('sends a GET to one of the replicas and returns status, headers and a readable body', async () => {
    replicas = await startReplicas(3);
    const catalog = meshFor(replicas).client('catalog');
    const response = await catalog.get('/products?page=2', { headers: { 'X-Request-Id': 'abc' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    const body = (await response.body.json()) as {
      replica: string;
      url: string;
      headers: Record<string, string>;
    };
    expect(replicas.map((r) => r.name)).toContain(body.replica);
    expect(body.url).toBe('/products?page=2');
    expect(body.headers['x-request-id']).toBe('abc');
    expect(response.endpoint).toBe(
      `127.0.0.1:${replicas.find((r) => r.name === body.replica)?.port}`,
    );
    expect(response.upstream).toBe('catalog');
  });

  it('sends JSON, string and streamed bodies intact', async () => {
    replicas = await startReplicas(1);
    const catalog = meshFor(replicas).client('catalog');
    const asJson = await catalog.json<{ body: string; headers: Record<string, string> }>({
      method: 'POST',
      path: '/items',
      json: { sku: 'tea', qty: 2 },
    });
    expect(JSON.parse(asJson.body)).toEqual({ sku: 'tea', qty: 2 });
    expect(asJson.headers['content-type']).toBe('application/json');
    const asString = await catalog.json<{ body: string }>({
      method: 'PUT',
      path: '/a',
      body: 'plain text',
    });
    expect(asString.body).toBe('plain text');
    const streamed = await catalog.json<{ body: string }>({
      method: 'POST',
      path: '/b',
      body: Readable.from([Buffer.from('chunk-1,'), Buffer.from('chunk-2')]),
    });
    expect(streamed.body).toBe('chunk-1,chunk-2');
  });

  it('json() throws UpstreamStatusError carrying the status and the upstream text on a non-2xx answer', async () => {
    replicas = await startReplicas(1);
    replicas[0]!.status = 404;
    const catalog = meshFor(replicas).client('catalog');
    const error = await catalog.json({ path: '/missing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamStatusError);
    expect(error).toMatchObject({
      code: 'ERR_UPSTREAM_STATUS',
      statusCode: 404,
      upstream: 'catalog',
    });
    expect((error as UpstreamStatusError).responseText).toContain('/missing');
  });

  it('counts a request as pending until its response has fully arrived, then frees it', async () => {
    const streaming = await startStreamingServer();
    try {
      mesh = createMesh({
        discovery: [],
        logger: silentLogger,
        upstreams: { catalog: { endpoints: [streaming.endpoint] } },
      });
      const response = await mesh.client('catalog').get('/');
      expect(mesh.snapshot()[0]!.endpoints[0]!.pending).toBe(1);
      streaming.finish();
      expect(await response.body.text()).toBe('first,last');
      await new Promise((resolve) => setImmediate(resolve));
      expect(mesh.snapshot()[0]!.endpoints[0]!.pending).toBe(0);
      expect(mesh.snapshot()[0]!.endpoints[0]!.sent).toBe(1);
    } finally {
      await streaming.close();
    }
  });

  it('frees the endpoint and the concurrency slot once a small answer has arrived, read or not', async () => {
    replicas = await startReplicas(1);
    mesh = meshFor(replicas, { defaults: { maxConcurrent: 1 } });
    const catalog = mesh.client('catalog');
    const unread = await catalog.get('/first');
    await new Promise((resolve) => setImmediate(resolve));
    expect(mesh.snapshot()[0]!.endpoints[0]!.pending).toBe(0);
    const second = await catalog.get('/second');
    expect(second.statusCode).toBe(200);
    expect(((await unread.body.json()) as { url: string }).url).toBe('/first');
    expect(((await second.body.json()) as { url: string }).url).toBe('/second');
  });
});

/** Sends its headers and a first chunk at once, and the rest when the test says so. */
async function startStreamingServer(): Promise<{
  endpoint: { address: string; port: number };
  finish(): void;
  close(): Promise<void>;
}> {
  let finish = (): void => undefined;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('first,');
    finish = () => response.end('last');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: { address: '127.0.0.1', port },
    finish: () => finish(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('ServiceClient bad input and failures', () => {
  it.each([
    ['a method with a space', { path: '/', method: 'GE T' }, /Invalid HTTP method/],
    ['a path without a leading slash', { path: 'products' }, /Invalid request path/],
    ['a path with a newline', { path: '/a\r\nHost: evil' }, /Invalid request path/],
    ['a path with raw non-ASCII', { path: '/caf\u00e9' }, /Invalid request path/],
    ['a negative timeout', { path: '/', timeoutMs: -5 }, /Invalid timeoutMs/],
    ['a NaN timeout', { path: '/', timeoutMs: Number.NaN }, /Invalid timeoutMs/],
    ['both json and body', { path: '/', json: {}, body: 'x' }, /Both json and body/],
  ])(
    'rejects %s with InvalidRequestError before sending anything',
    async (_label, request, message) => {
      replicas = await startReplicas(1);
      const catalog = meshFor(replicas).client('catalog');
      const error = await catalog.request(request).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_REQUEST', upstream: 'catalog' });
      expect((error as Error).message).toMatch(message);
      expect(replicas[0]!.hits).toBe(0);
    },
  );

  it('fails with NoEndpointsError naming the resolver when discovery lists nothing', async () => {
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { catalog: { resolver: new ControlledResolver([]), discoveryWaitMs: 50 } },
    });
    const error = await mesh
      .client('catalog')
      .get('/')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEndpointsError);
    expect(error).toMatchObject({ code: 'ERR_NO_ENDPOINTS', upstream: 'catalog' });
    expect((error as Error).message).toMatch(/test lists no endpoints/);
  });

  it('waits for discovery to deliver the first endpoints instead of failing at startup', async () => {
    replicas = await startReplicas(1);
    const resolver = new ControlledResolver();
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { catalog: { resolver } },
    });
    const pending = mesh.client('catalog').get('/');
    setTimeout(() => resolver.set([replicas[0]!.endpoint]), 100);
    const response = await pending;
    expect(response.statusCode).toBe(200);
    await response.body.dump();
  });

  it('turns a refused connection into UpstreamRequestError with the endpoint and cause', async () => {
    const port = await closedPort();
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { catalog: { endpoints: `127.0.0.1:${port}` } },
    });
    const error = await mesh
      .client('catalog')
      .get('/')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRequestError);
    expect(error).toMatchObject({ code: 'ERR_UPSTREAM_REQUEST', endpoint: `127.0.0.1:${port}` });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('ends a slow call with DeadlineExceededError close to its timeout', async () => {
    replicas = await startReplicas(1, 'slow', { delayMs: 2_000 });
    const catalog = meshFor(replicas).client('catalog');
    const started = performance.now();
    const error = await catalog.get('/', { timeoutMs: 150 }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED', upstream: 'catalog' });
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('stops a call when the caller aborts it', async () => {
    replicas = await startReplicas(1, 'slow', { delayMs: 2_000 });
    const catalog = meshFor(replicas).client('catalog');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await catalog.get('/', { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(error).toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('rejects calls after close with MeshClosedError', async () => {
    replicas = await startReplicas(1);
    const m = meshFor(replicas);
    const catalog = m.client('catalog');
    await m.close();
    await expect(catalog.get('/')).rejects.toBeInstanceOf(MeshClosedError);
  });

  it.each([
    ['an unknown balancer name', { balancer: 'fastest' }, 'ERR_UNKNOWN_BALANCER'],
    ['a malformed endpoint list', { endpoints: '10.0.0.1' }, 'ERR_INVALID_ENDPOINT_LIST'],
    ['a zero timeout', { timeoutMs: 0 }, 'ERR_INVALID_UPSTREAM_OPTIONS'],
    [
      'a string connection cap',
      { connectionsPerEndpoint: '8' as unknown as number },
      'ERR_INVALID_UPSTREAM_OPTIONS',
    ],
  ])('refuses %s with a MeshConfigError when the mesh is created', (_label, config, code) => {
    const create = (): Mesh =>
      createMesh({
        discovery: [],
        logger: silentLogger,
        upstreams: { catalog: { endpoints: '127.0.0.1:1', ...config } },
      });
    expect(create).toThrow(MeshConfigError);
    expect(create).toThrow(expect.objectContaining({ code }));
  });

  it.each([['Catalog'], [''], ['cat alog'], ['-catalog']])(
    'refuses the service name %j',
    (name) => {
      mesh = createMesh({ discovery: [], logger: silentLogger });
      expect(() => mesh!.client(name)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_SERVICE_NAME' }),
      );
    },
  );

  it('says which variable to set when no discovery knows the service', () => {
    mesh = createMesh({ discovery: [], logger: silentLogger });
    expect(() => mesh!.client('catalog')).toThrow(/TRELLIS_UPSTREAM_CATALOG/);
  });
});

describe('discovery updates', () => {
  it('loses no request when endpoints leave the set with requests in flight', async () => {
    replicas = await startReplicas(3, 'replica', { delayMs: 150 });
    const resolver = new ControlledResolver(replicas.map((r) => r.endpoint));
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { catalog: { resolver, balancer: 'round-robin' } },
    });
    const catalog = mesh.client('catalog');
    const inFlight = Array.from({ length: 60 }, () =>
      catalog.json<{ replica: string }>({ path: '/' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
    resolver.set([replicas[2]!.endpoint]);
    const answers = await Promise.all(inFlight);
    expect(answers).toHaveLength(60);
    expect(new Set(answers.map((a) => a.replica))).toEqual(
      new Set(['replica-1', 'replica-2', 'replica-3']),
    );
    const after = await Promise.all(
      Array.from({ length: 20 }, () => catalog.json<{ replica: string }>({ path: '/' })),
    );
    expect(new Set(after.map((a) => a.replica))).toEqual(new Set(['replica-3']));
    expect(mesh.snapshot()[0]!.endpoints.map((e) => e.key)).toEqual([
      `127.0.0.1:${replicas[2]!.port}`,
    ]);
  });

  it('sends nothing new to a draining endpoint while another serves, and uses it when it is the last', async () => {
    replicas = await startReplicas(2);
    const [first, second] = replicas as [Replica, Replica];
    const resolver = new ControlledResolver([
      { ...first.endpoint, draining: true },
      second.endpoint,
    ]);
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { catalog: { resolver } },
    });
    const catalog = mesh.client('catalog');
    for (let i = 0; i < 20; i++) await (await catalog.get('/')).body.dump();
    expect(first.hits).toBe(0);
    expect(second.hits).toBe(20);
    resolver.set([{ ...first.endpoint, draining: true }]);
    await (await catalog.get('/')).body.dump();
    expect(first.hits).toBe(1);
  });
});
