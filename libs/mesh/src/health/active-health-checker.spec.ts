import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Endpoint } from '../endpoint.js';
import { silentLogger } from '../logger.js';
import { ActiveHealthChecker, type ActiveHealthCheckOptions } from './active-health-checker.js';
import { closedPort } from '../../tests/support/closed-port.js';

interface HealthServer {
  readonly endpoint: Endpoint;
  readonly key: string;
  /** Status the next checks get; `null` never answers. */
  status: number | null;
  /** Checks answered, by status. */
  readonly answered: Map<number, number>;
  received: number;
  paths: string[];
  concurrent: number;
  maxConcurrent: number;
  delayMs: number;
  readonly server: Server;
}

const servers: Server[] = [];
const checkers: ActiveHealthChecker[] = [];

afterEach(async () => {
  await Promise.all(checkers.splice(0).map((checker) => checker.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function startServer(status: number | null): Promise<HealthServer> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    state.received += 1;
    state.paths.push(request.url ?? '');
    const answer = state.status;
    if (answer === null) return;
    state.concurrent += 1;
    state.maxConcurrent = Math.max(state.maxConcurrent, state.concurrent);
    setTimeout(() => {
      state.concurrent -= 1;
      state.answered.set(answer, (state.answered.get(answer) ?? 0) + 1);
      response.statusCode = answer;
      response.end('ok');
    }, state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  const state: HealthServer = {
    endpoint: { address: '127.0.0.1', port },
    key: `127.0.0.1:${port}`,
    status,
    answered: new Map(),
    received: 0,
    paths: [],
    concurrent: 0,
    maxConcurrent: 0,
    delayMs: 0,
    server,
  };
  return state;
}

/** `probe` is read when an endpoint turns unhealthy, e.g. to count the checks that led there. */
function startChecker(options: Partial<ActiveHealthCheckOptions> = {}, probe = () => 0) {
  const unhealthy: string[] = [];
  const healthy: string[] = [];
  const probedAtUnhealthy: number[] = [];
  const checker = new ActiveHealthChecker(
    { path: '/readyz', intervalMs: 50, timeoutMs: 200, ...options },
    {
      onUnhealthy: (key) => {
        unhealthy.push(key);
        probedAtUnhealthy.push(probe());
      },
      onHealthy: (key) => healthy.push(key),
    },
    silentLogger,
  );
  checkers.push(checker);
  return { checker, unhealthy, healthy, probedAtUnhealthy };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = <T>(assertion: () => T) => vi.waitFor(assertion, { timeout: 5_000, interval: 10 });

describe('ActiveHealthChecker', () => {
  it('keeps an endpoint answering 200 healthy', async () => {
    const server = await startServer(200);
    const { checker, unhealthy } = startChecker();
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    expect(checker.isHealthy(server.key)).toBe(true);
    await waitFor(() => expect(server.answered.get(200)).toBeGreaterThanOrEqual(4));
    expect(checker.isHealthy(server.key)).toBe(true);
    expect(unhealthy).toEqual([]);
    expect(new Set(server.paths)).toEqual(new Set(['/readyz']));
  });

  it('turns unhealthy after 3 failed checks and healthy again after 2 passes', async () => {
    const server = await startServer(200);
    let failedAtUnhealthy: number | undefined;
    let passedAtHealthy: number | undefined;
    let passesBefore = 0;
    const checker = new ActiveHealthChecker(
      { path: '/readyz', intervalMs: 50, timeoutMs: 200 },
      {
        onUnhealthy: () => {
          failedAtUnhealthy = server.answered.get(503);
        },
        onHealthy: () => {
          passedAtHealthy = (server.answered.get(200) ?? 0) - passesBefore;
        },
      },
      silentLogger,
    );
    checkers.push(checker);
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await waitFor(() => expect(server.answered.get(200)).toBeGreaterThanOrEqual(1));

    server.status = 503;
    await waitFor(() => expect(checker.isHealthy(server.key)).toBe(false));
    expect(failedAtUnhealthy).toBe(3);
    await waitFor(() => expect(server.answered.get(503)).toBeGreaterThanOrEqual(6));
    expect(checker.isHealthy(server.key)).toBe(false);

    passesBefore = server.answered.get(200) ?? 0;
    server.status = 200;
    await waitFor(() => expect(checker.isHealthy(server.key)).toBe(true));
    expect(passedAtHealthy).toBe(2);
    await waitFor(() => expect(server.answered.get(200)).toBeGreaterThanOrEqual(passesBefore + 5));
    expect(checker.isHealthy(server.key)).toBe(true);
  });

  it('fires onUnhealthy and onHealthy once per transition', async () => {
    const server = await startServer(503);
    const { checker, unhealthy, healthy } = startChecker();
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await waitFor(() => expect(server.answered.get(503)).toBeGreaterThanOrEqual(6));
    expect(unhealthy).toEqual([server.key]);
    server.status = 204;
    await waitFor(() => expect(server.answered.get(204)).toBeGreaterThanOrEqual(5));
    expect(healthy).toEqual([server.key]);
    expect(unhealthy).toEqual([server.key]);
  });

  it('honours custom thresholds', async () => {
    const server = await startServer(500);
    const { checker, unhealthy, healthy, probedAtUnhealthy } = startChecker(
      { unhealthyThreshold: 1, healthyThreshold: 1 },
      () => server.answered.get(500) ?? 0,
    );
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await waitFor(() => expect(unhealthy).toEqual([server.key]));
    expect(probedAtUnhealthy).toEqual([1]);
    server.status = 200;
    await waitFor(() => expect(healthy).toEqual([server.key]));
    expect(server.answered.get(200)).toBeGreaterThanOrEqual(1);
  });

  it('marks a closed port unhealthy', async () => {
    const port = await closedPort();
    const key = `127.0.0.1:${port}`;
    const { checker, unhealthy } = startChecker();
    checker.setEndpoints([{ key, endpoint: { address: '127.0.0.1', port } }]);
    await waitFor(() => expect(checker.isHealthy(key)).toBe(false));
    expect(unhealthy).toEqual([key]);
  });

  it('marks a server that never answers unhealthy after the timeout', async () => {
    const server = await startServer(null);
    const startedAt = performance.now();
    let elapsedAtUnhealthy = 0;
    const { checker, unhealthy, probedAtUnhealthy } = startChecker({ timeoutMs: 100 }, () => {
      elapsedAtUnhealthy = performance.now() - startedAt;
      return server.received;
    });
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await waitFor(() => expect(unhealthy).toEqual([server.key]));
    expect(probedAtUnhealthy).toEqual([3]);
    // Three timeouts with two intervals between them; timers may fire a little early.
    expect(elapsedAtUnhealthy).toBeGreaterThanOrEqual(3 * 100 + 2 * 50 - 20);
  });

  it('never overlaps the checks of one endpoint', async () => {
    const server = await startServer(200);
    server.delayMs = 120;
    const { checker } = startChecker({ timeoutMs: 500 });
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await waitFor(() => expect(server.answered.get(200)).toBeGreaterThanOrEqual(4));
    expect(server.maxConcurrent).toBe(1);
  });

  it('checks first within a tenth of the interval', async () => {
    const server = await startServer(200);
    const { checker } = startChecker({ intervalMs: 2_000 });
    checker.setEndpoints([{ key: server.key, endpoint: server.endpoint }]);
    await vi.waitFor(() => expect(server.received).toBe(1), { timeout: 1_000, interval: 10 });
  });

  it('stops checking an endpoint that was removed and closes its connection', async () => {
    const kept = await startServer(200);
    const removed = await startServer(200);
    const { checker } = startChecker();
    checker.setEndpoints([
      { key: kept.key, endpoint: kept.endpoint },
      { key: removed.key, endpoint: removed.endpoint },
    ]);
    await waitFor(() => expect(removed.answered.get(200)).toBeGreaterThanOrEqual(2));
    checker.setEndpoints([{ key: kept.key, endpoint: kept.endpoint }]);
    await waitFor(() => expect(connections(removed.server)).resolves.toBe(0));
    const removedCount = removed.received;
    const keptCount = kept.received;
    await sleep(300);
    expect(removed.received).toBe(removedCount);
    expect(kept.received).toBeGreaterThan(keptCount);
    expect(checker.isHealthy(removed.key)).toBe(true);
  });

  it('starts afresh when a removed endpoint comes back', async () => {
    const server = await startServer(503);
    const { checker } = startChecker();
    const entry = { key: server.key, endpoint: server.endpoint };
    checker.setEndpoints([entry]);
    await waitFor(() => expect(checker.isHealthy(server.key)).toBe(false));
    checker.setEndpoints([]);
    checker.setEndpoints([entry]);
    expect(checker.isHealthy(server.key)).toBe(true);
  });

  it('stops every check on close()', async () => {
    const first = await startServer(200);
    const second = await startServer(null);
    const { checker } = startChecker({ timeoutMs: 1_000 });
    checker.setEndpoints([
      { key: first.key, endpoint: first.endpoint },
      { key: second.key, endpoint: second.endpoint },
    ]);
    await waitFor(() => expect(first.received).toBeGreaterThanOrEqual(2));
    await waitFor(() => expect(second.received).toBe(1));
    await checker.close();
    const counts = [first.received, second.received];
    await sleep(300);
    expect([first.received, second.received]).toEqual(counts);
    checker.setEndpoints([{ key: first.key, endpoint: first.endpoint }]);
    await sleep(100);
    expect(first.received).toBe(counts[0]);
    await checker.close();
  });
});

describe('ActiveHealthChecker options', () => {
  const events = { onUnhealthy: () => undefined, onHealthy: () => undefined };

  it.each<[string, unknown]>([
    ['path', { path: 'readyz' }],
    ['path', { path: '/ready z' }],
    ['path', {}],
    ['intervalMs', { path: '/readyz', intervalMs: 0 }],
    ['intervalMs', { path: '/readyz', intervalMs: Number.POSITIVE_INFINITY }],
    ['timeoutMs', { path: '/readyz', timeoutMs: -5 }],
    ['timeoutMs', { path: '/readyz', timeoutMs: '1000' }],
    ['healthyThreshold', { path: '/readyz', healthyThreshold: 0 }],
    ['unhealthyThreshold', { path: '/readyz', unhealthyThreshold: 1.5 }],
    ['object', undefined],
  ])('rejects a bad %s (%j)', (name, options) => {
    const attempt = () =>
      new ActiveHealthChecker(options as ActiveHealthCheckOptions, events, silentLogger);
    expect(attempt).toThrow(
      expect.objectContaining({
        name: 'MeshConfigError',
        code: 'ERR_INVALID_HEALTH_CHECK_OPTIONS',
        message: expect.stringContaining(name),
      }),
    );
  });

  it('accepts a path with a query', async () => {
    const checker = new ActiveHealthChecker({ path: '/healthz?full=1' }, events, silentLogger);
    await checker.close();
  });
});

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
