import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  createMesh,
  Deadline,
  DeadlineExceededError,
  OverloadedError,
  RetryBudgetExhaustedError,
  silentLogger,
  UpstreamRequestError,
  type Mesh,
  type MeshEvent,
  type MeshOptions,
  type ServiceClient,
} from '../src/index.js';
import { closedPort } from './support/closed-port.js';
import { startReplicaProcess, stopAll, type ReplicaProcess } from './support/replica-processes.js';
import { ControlledResolver, startReplicas, type Replica } from './support/replicas.js';

let processes: ReplicaProcess[] = [];
let replicas: Replica[] = [];
let servers: Server[] = [];
let mesh: Mesh | undefined;
let events: (MeshEvent & { at: number })[] = [];

afterEach(async () => {
  await mesh?.close({ force: true });
  mesh = undefined;
  events = [];
  await stopAll(processes);
  processes = [];
  await Promise.all(replicas.map((replica) => replica.close()));
  replicas = [];
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
});

function clientFor(
  endpoints: { address: string; port: number }[],
  config: NonNullable<MeshOptions['upstreams']>[string] = {},
): ServiceClient {
  mesh = createMesh({
    discovery: [],
    logger: silentLogger,
    onEvent: (event) => events.push(event),
    upstreams: { shop: { resolver: new ControlledResolver(endpoints), ...config } },
  });
  return mesh.client('shop');
}

/** Open-loop load: `rate` calls per second for `durationMs`; returns successes and failures. */
async function steadyLoad(
  call: () => Promise<unknown>,
  rate: number,
  durationMs: number,
  during?: (elapsedMs: number) => void,
): Promise<{ ok: number; failed: unknown[] }> {
  const failed: unknown[] = [];
  let ok = 0;
  const calls: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round((rate * durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    during?.(performance.now() - started);
    calls.push(
      call().then(
        () => void (ok += 1),
        (error: unknown) => void failed.push(error),
      ),
    );
  }
  await Promise.all(calls);
  return { ok, failed };
}

describe('failover with real replicas', () => {
  it('loses no idempotent request when the busiest replica is SIGKILLed under load, and ejects it within 1 s', async () => {
    processes = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((name) => startReplicaProcess(name)),
    );
    const client = clientFor(processes.map((p) => p.endpoint));
    const answers = new Map<string, number>();
    let victim: ReplicaProcess | undefined;
    let killedAt = 0;
    const result = await steadyLoad(
      async () => {
        const answer = await client.json<{ replica: string }>({ path: '/', timeoutMs: 2_000 });
        answers.set(answer.replica, (answers.get(answer.replica) ?? 0) + 1);
      },
      200,
      3_000,
      (elapsed) => {
        if (victim || elapsed < 1_000) return;
        // Peak-EWMA may already send a replica little traffic; kill one that is surely in use.
        const busiest = [...answers.entries()].sort((a, b) => b[1] - a[1])[0]![0];
        victim = processes.find((p) => p.name === busiest)!;
        victim.kill('SIGKILL');
        killedAt = Date.now();
      },
    );
    expect(result.failed).toEqual([]);
    expect(result.ok).toBe(600);
    const ejection = events.find(
      (e) => e.type === 'eject' && e.endpoint === `127.0.0.1:${victim!.port}`,
    );
    expect(ejection).toBeDefined();
    expect(ejection!.at - killedAt).toBeLessThan(1_000);
  });

  it('fails over from a replica that accepts connections but never answers, within the deadline, and ejects it', async () => {
    processes = [
      ...(await Promise.all(['a', 'b', 'c', 'd'].map((name) => startReplicaProcess(name)))),
      await startReplicaProcess('hung', 'hang'),
    ];
    const hung = processes[4]!;
    const client = clientFor(
      processes.map((p) => p.endpoint),
      { balancer: 'round-robin' },
    );
    const durations: number[] = [];
    const result = await steadyLoad(
      async () => {
        const started = performance.now();
        await client.json({ path: '/', timeoutMs: 1_000 });
        durations.push(performance.now() - started);
      },
      50,
      3_000,
    );
    expect(result.failed).toEqual([]);
    expect(Math.max(...durations)).toBeLessThan(1_000);
    expect(events.some((e) => e.type === 'eject' && e.endpoint === `127.0.0.1:${hung.port}`)).toBe(
      true,
    );
  });

  it('keeps callers at >= 99.9% success while one replica answers 503 to everything', async () => {
    replicas = await startReplicas(5, 'r');
    replicas[0]!.status = 503;
    const client = clientFor(replicas.map((r) => r.endpoint));
    let ok = 0;
    const total = 1_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next++ < total) {
          const response = await client.get('/');
          await response.body.dump();
          if (response.statusCode === 200) ok += 1;
        }
      }),
    );
    expect(ok / total).toBeGreaterThanOrEqual(0.999);
    expect(
      events.some((e) => e.type === 'eject' && e.endpoint === `127.0.0.1:${replicas[0]!.port}`),
    ).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('opens when every replica fails, fails fast without backend traffic, then half-opens and closes on recovery', async () => {
    replicas = await startReplicas(3, 'r');
    for (const replica of replicas) replica.status = 503;
    const client = clientFor(
      replicas.map((r) => r.endpoint),
      {
        retries: false,
        outlierDetection: false,
        breaker: { volumeThreshold: 10, resetTimeoutMs: 500 },
      },
    );
    for (let i = 0; i < 20 && mesh!.snapshot()[0]!.breaker !== 'open'; i++)
      await (await client.get('/')).body.dump();
    expect(mesh!.snapshot()[0]!.breaker).toBe('open');
    const hitsWhenOpened = replicas.reduce((sum, r) => sum + r.hits, 0);
    const started = performance.now();
    const rejected = await Promise.all(
      Array.from({ length: 50 }, () => client.get('/').catch((e: unknown) => e)),
    );
    expect(performance.now() - started).toBeLessThan(100);
    expect(rejected.every((e) => e instanceof CircuitOpenError)).toBe(true);
    expect((rejected[0] as CircuitOpenError).code).toBe('ERR_CIRCUIT_OPEN');
    expect((rejected[0] as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(500);
    expect(replicas.reduce((sum, r) => sum + r.hits, 0)).toBe(hitsWhenOpened);
    for (const replica of replicas) replica.status = 200;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(mesh!.snapshot()[0]!.breaker).toBe('halfOpen');
    const trial = await client.get('/');
    await trial.body.dump();
    expect(trial.statusCode).toBe(200);
    expect(mesh!.snapshot()[0]!.breaker).toBe('closed');
    expect(
      events.filter((e) => e.type === 'breaker').map((e) => (e as { state: string }).state),
    ).toEqual(['open', 'halfOpen', 'close']);
  });
});

describe('retries', () => {
  it('caps the extra load of retries at the budget share during a full outage', async () => {
    replicas = await startReplicas(3, 'r');
    for (const replica of replicas) replica.status = 503;
    const client = clientFor(
      replicas.map((r) => r.endpoint),
      {
        breaker: false,
        outlierDetection: false,
        retries: {
          maxRetries: 3,
          budget: { percent: 0.2, minRetriesPerSecond: 1 },
          backoff: { baseMs: 1, maxMs: 2 },
        },
      },
    );
    const requests = 500;
    for (let i = 0; i < requests; i++) await (await client.get('/')).body.dump();
    const attempts = replicas.reduce((sum, r) => sum + r.hits, 0);
    const retries = attempts - requests;
    // 20% of the requests plus 1 retry/s over the 10 s window.
    expect(retries).toBeLessThanOrEqual(requests * 0.2 + 10);
    expect(retries).toBeGreaterThanOrEqual(requests * 0.2 - 1);
    expect(events.filter((e) => e.type === 'retry-refused').length).toBeGreaterThan(300);
  });

  it('says in the error that the budget refused a retry', async () => {
    const closed = await closedPorts(2);
    const client = clientFor(closed, {
      breaker: false,
      outlierDetection: false,
      retries: { budget: { percent: 0, minRetriesPerSecond: 0 } },
    });
    const error = await client.get('/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryBudgetExhaustedError);
    expect((error as Error).message).toMatch(
      /Retry refused by the retry budget after: .*ECONNREFUSED/,
    );
    expect((error as RetryBudgetExhaustedError).cause).toBeInstanceOf(UpstreamRequestError);
  });

  it('never retries a POST without Idempotency-Key once it may have reached the server', async () => {
    let hits = 0;
    const resetting = await listen((request) => {
      hits += 1;
      request.socket.destroy();
    });
    const client = clientFor([resetting], { outlierDetection: false });
    const error = await client.post('/charges', { json: { amount: 5 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRequestError);
    expect(hits).toBe(1);

    replicas = await startReplicas(1, 'r');
    replicas[0]!.status = 503;
    const unavailable = clientFor([replicas[0]!.endpoint], { outlierDetection: false });
    const answer = await unavailable.post('/charges', { json: { amount: 5 } });
    await answer.body.dump();
    expect(answer.statusCode).toBe(503);
    expect(replicas[0]!.hits).toBe(1);
  });

  it('retries a POST whose connection was refused (it never left) and one with an Idempotency-Key', async () => {
    replicas = await startReplicas(1, 'good');
    const [closed] = await closedPorts(1);
    const client = clientFor([closed!, replicas[0]!.endpoint], {
      balancer: 'round-robin',
      outlierDetection: false,
    });
    for (let i = 0; i < 4; i++) {
      const response = await client.post('/charges', { json: { amount: 5 } });
      await response.body.dump();
      expect(response.statusCode).toBe(200);
    }
    expect(replicas[0]!.hits).toBe(4);

    const flaky = await startReplicas(2, 'flaky');
    replicas.push(...flaky);
    flaky[0]!.status = 503;
    const keyed = clientFor(
      flaky.map((r) => r.endpoint),
      { balancer: 'round-robin', outlierDetection: false },
    );
    for (let i = 0; i < 4; i++) {
      const response = await keyed.post('/charges', {
        json: { amount: 5 },
        headers: { 'Idempotency-Key': `k-${i}` },
      });
      await response.body.dump();
      expect(response.statusCode).toBe(200);
    }
  });
});

describe('deadlines', () => {
  it('carries a deadline set at the edge, shrinking, two hops down, and refuses an expired one', async () => {
    const seen: Record<string, number> = {};
    const { parseDeadlineHeader, withDeadline, DEADLINE_HEADER } = await import('../src/index.js');
    const hopMesh = createMesh({ discovery: [], logger: silentLogger });
    const hop = (name: string, next: (() => Promise<unknown>) | undefined) =>
      listen(async (request, response) => {
        const parsed = parseDeadlineHeader(request.headers[DEADLINE_HEADER]);
        if (parsed.kind === 'expired') {
          response.writeHead(504).end('deadline expired');
          return;
        }
        if (parsed.kind !== 'valid') {
          response.writeHead(400).end(parsed.kind);
          return;
        }
        seen[name] = Number(request.headers[DEADLINE_HEADER]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const body = next ? await withDeadline(parsed.deadline, next) : { ok: true };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    const c = await listenedEndpoint(hop('c', undefined));
    mesh = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { c: { endpoints: [c] } },
    });
    const toC = mesh.client('c');
    const b = await listenedEndpoint(hop('b', () => toC.json({ path: '/' })));
    const toB = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { b: { endpoints: [b] } },
    }).client('b');
    const a = await listenedEndpoint(hop('a', () => toB.json({ path: '/' })));
    const edge = createMesh({
      discovery: [],
      logger: silentLogger,
      upstreams: { a: { endpoints: [a] } },
    });
    await edge.client('a').json({ path: '/', timeoutMs: 1_000 });
    expect(seen['a']).toBeLessThanOrEqual(1_000);
    expect(seen['b']).toBeLessThan(seen['a']! - 90);
    expect(seen['c']).toBeLessThan(seen['b']! - 90);
    expect(seen['c']).toBeGreaterThan(500);

    const expired = await edge
      .client('a')
      .get('/', { deadline: Deadline.after(0) })
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(DeadlineExceededError);
    expect(expired).toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED' });
    const raw = await fetch(`http://127.0.0.1:${a.port}/`, { headers: { [DEADLINE_HEADER]: '0' } });
    expect(raw.status).toBe(504);
    await Promise.all([edge.close(), hopMesh.close()]);
  });

  it('never retries a call whose deadline ran out', async () => {
    replicas = await startReplicas(2, 'slow', { delayMs: 400 });
    const client = clientFor(
      replicas.map((r) => r.endpoint),
      { attemptTimeoutMs: 1_000 },
    );
    const error = await client.get('/', { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(replicas.reduce((sum, r) => sum + r.hits, 0)).toBe(1);
  });
});

describe('hedging, bulkhead and fault injection', () => {
  it('hedges a slow attempt to another replica and takes the faster answer', async () => {
    replicas = [
      ...(await startReplicas(1, 'slow', { delayMs: 300 })),
      ...(await startReplicas(1, 'fast')),
    ];
    const client = clientFor(
      replicas.map((r) => r.endpoint),
      {
        balancer: 'round-robin',
        hedging: { delayMs: 30 },
        outlierDetection: false,
      },
    );
    const durations: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const answer = await client.json<{ replica: string }>({ path: '/' });
      durations.push(performance.now() - started);
      expect(answer.replica).toBe('fast-1');
    }
    expect(Math.max(...durations)).toBeLessThan(200);
    expect(events.filter((e) => e.type === 'hedge').length).toBeGreaterThanOrEqual(10);
    expect(events.filter((e) => e.type === 'hedge-won').length).toBeGreaterThanOrEqual(10);
  });

  it('refuses calls beyond the concurrency cap with OverloadedError', async () => {
    replicas = await startReplicas(1, 'slow', { delayMs: 200 });
    const client = clientFor([replicas[0]!.endpoint], { maxConcurrent: 2 });
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        client.json({ path: '/' }).then(
          () => 'ok',
          (e: unknown) => e,
        ),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.find((r) => r instanceof OverloadedError)).toMatchObject({
      code: 'ERR_OVERLOADED',
      upstream: 'shop',
    });
    expect(replicas[0]!.hits).toBe(2);
  });

  it('injects aborts and delays from config and, when allowed, from a request header', async () => {
    replicas = await startReplicas(1, 'r');
    const aborting = clientFor([replicas[0]!.endpoint], {
      faults: { abort: { percent: 100, status: 503 } },
    });
    const aborted = await aborting.get('/');
    expect(aborted.statusCode).toBe(503);
    expect(await aborted.body.text()).toMatch(/fault injected/);
    expect(replicas[0]!.hits).toBe(0);

    const delaying = clientFor([replicas[0]!.endpoint], { faults: { allowHeader: true } });
    const started = performance.now();
    await (await delaying.get('/', { headers: { 'x-trellis-fault': 'delay=120' } })).body.dump();
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(replicas[0]!.hits).toBe(1);
    expect(events.some((e) => e.type === 'fault')).toBe(true);
  });
});

function listen(
  handler: (
    request: import('node:http').IncomingMessage,
    response: import('node:http').ServerResponse,
  ) => void,
): Promise<{ address: string; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ address: '127.0.0.1', port: (server.address() as AddressInfo).port }),
    ),
  );
}

async function listenedEndpoint(
  pending: Promise<{ address: string; port: number }>,
): Promise<{ address: string; port: number }> {
  return pending;
}

async function closedPorts(count: number): Promise<{ address: string; port: number }[]> {
  const ports: { address: string; port: number }[] = [];
  for (let i = 0; i < count; i++) ports.push({ address: '127.0.0.1', port: await closedPort() });
  return ports;
}
