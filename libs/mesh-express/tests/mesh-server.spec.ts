import { Agent, createServer } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMesh, LocalRegistry, silentLogger, type Registration } from '@trellis/mesh';
import express, { type Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  meshAdminRoutes,
  meshErrorHandler,
  meshMiddleware,
  ServerState,
  startMeshServer,
  type InstanceRegistry,
  type StartMeshServerOptions,
} from '../src/index.js';
import { captureLogger } from './support/capture-logger.js';
import { httpGet } from './support/http-get.js';
import { sleep, waitFor } from './support/loopback.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const servers: TestServer[] = [];
const agents: Agent[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const server of servers.splice(0)) await server.dispose();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serviceApp(state: ServerState): Express {
  const app = express();
  app.use(meshMiddleware({ state }));
  app.use(meshAdminRoutes({ state }));
  app.get('/work', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/slow', async (req, res) => {
    await sleep(Number(req.query['ms'] ?? 500));
    res.json({ slept: true });
  });
  app.get('/hang', () => undefined);
  app.use(meshErrorHandler({ logger: silentLogger }));
  return app;
}

async function start(
  options: Partial<StartMeshServerOptions> = {},
): Promise<TestServer & { state: ServerState }> {
  const state = new ServerState({ service: 'shop' });
  const server = await startTestServer(serviceApp(state), { state, ...options });
  servers.push(server);
  return { ...server, state };
}

const get = httpGet;

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  agents.push(agent);
  return agent;
}

async function leaseFiles(dir: string): Promise<string[]> {
  return readdir(join(dir, 'shop')).catch(() => []);
}

/** A registry that records what the server does with its registration. */
function spyRegistry(inner: LocalRegistry, calls: string[]): InstanceRegistry {
  return {
    async register(options) {
      const registration = await inner.register(options);
      const spy: Registration = {
        service: registration.service,
        instanceId: registration.instanceId,
        file: registration.file,
        setDraining: async (draining) => {
          calls.push(`setDraining(${String(draining)})`);
          await registration.setDraining(draining);
        },
        deregister: async () => {
          calls.push('deregister()');
          await registration.deregister();
        },
      };
      return spy;
    },
  };
}

describe('startMeshServer', () => {
  it('listens on 127.0.0.1 and a free port, registers the instance and turns ready', async () => {
    const { handle, dir, state } = await start({ zone: 'a', weight: 2, metadata: { v: '2' } });
    expect(handle.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(handle.address.port).toBeGreaterThan(0);
    expect(handle.url).toBe(`http://127.0.0.1:${handle.address.port}`);
    expect(state.instance).toBe(handle.registration.instanceId);

    const lease = JSON.parse(await readFile(handle.registration.file, 'utf8'));
    expect(handle.registration.file.startsWith(dir)).toBe(true);
    expect(lease).toMatchObject({
      service: 'shop',
      address: '127.0.0.1',
      port: handle.address.port,
      zone: 'a',
      weight: 2,
      metadata: { v: '2' },
    });
    expect((await get(`${handle.url}/readyz`)).status).toBe(200);

    // A caller finds it through the same registry directory.
    const mesh = createMesh({ discovery: new LocalRegistry({ dir }), logger: silentLogger });
    try {
      expect(await mesh.client('shop').json({ path: '/work' })).toEqual({ ok: true });
    } finally {
      await mesh.close();
    }
  });

  it('advertises loopback when bound to every interface', async () => {
    const { handle } = await start({ host: '0.0.0.0' });
    expect(handle.address.address).toBe('0.0.0.0');
    const lease = JSON.parse(await readFile(handle.registration.file, 'utf8'));
    expect(lease.address).toBe('127.0.0.1');
  });

  it('drain(): readiness fails, the lease is marked draining then removed, in-flight requests finish, then mesh, hooks and exit(0)', async () => {
    const calls: string[] = [];
    const order: string[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'mesh-express-'));
    const registry = new LocalRegistry({ dir });
    cleanups.push(async () => {
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    });
    const logger = captureLogger();
    const state = new ServerState({ service: 'shop' });
    const handle = await startMeshServer(serviceApp(state), {
      state,
      registry: spyRegistry(registry, calls),
      signals: [],
      exit: (code) => order.push(`exit ${code}`),
      logger,
      drain: { delayMs: 300, timeoutMs: 5_000 },
      mesh: { close: async () => void order.push('mesh.close') },
      onShutdown: [() => void order.push('hook 1'), async () => void order.push('hook 2')],
    });
    cleanups.push(async () => {
      handle.server.closeAllConnections();
      await handle.drain();
    });
    const { url } = handle;
    expect(await leaseFiles(dir)).toEqual([`${state.instance}.json`]);

    const agent = keepAliveAgent();
    const slow = get(`${url}/slow?ms=700`, agent);
    await waitFor(() => state.inFlight === 1, 'the slow request to arrive');

    const started = Date.now();
    const drained = handle.drain();
    expect(handle.drain()).toBe(drained);

    const readiness = await get(`${url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body).reason).toMatch(/^draining/);
    await waitFor(async () => (await leaseFiles(dir)).length === 0, 'the lease to be removed');
    expect(calls).toEqual(['setDraining(true)', 'deregister()']);

    // Still serving during the delay, asking clients to reconnect elsewhere.
    const during = await get(`${url}/work`, agent);
    expect(during.status).toBe(200);
    expect(during.headers['connection']).toBe('close');

    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.headers['connection']).toBe('close');

    expect(await drained).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(order).toEqual(['mesh.close', 'hook 1', 'hook 2', 'exit 0']);
    expect(handle.server.listening).toBe(false);
    await expect(get(`${url}/work`)).rejects.toThrow(/ECONNREFUSED/);

    const steps = logger.messages().filter((message) => message.startsWith('Drain'));
    expect(steps.map((message) => message.slice(0, 12))).toEqual([
      'Drain step 1',
      'Drain step 2',
      'Drain step 3',
      'Drain step 4',
      'Drain comple',
    ]);
  });

  it('closes idle kept-alive connections at once when it stops accepting', async () => {
    const { handle } = await start({ drain: { delayMs: 0, timeoutMs: 10_000 } });
    const agent = keepAliveAgent();
    expect((await get(`${handle.url}/work`, agent)).headers['connection']).toBe('keep-alive');
    const started = Date.now();
    expect(await handle.drain()).toBe(0);
    // Without closing idle sockets, close() would wait for the 5 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('cuts requests still running after drain.timeoutMs and still completes', async () => {
    const { handle, exitCodes, logger, state } = await start({
      drain: { delayMs: 0, timeoutMs: 200 },
    });
    const hanging = get(`${handle.url}/hang`);
    await waitFor(() => state.inFlight === 1, 'the hanging request to arrive');
    const started = Date.now();
    expect(await handle.drain()).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(hanging).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(exitCodes).toEqual([0]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('still running') }),
    );
  });

  it('exits 1 when closing the mesh or a hook fails, and still runs the other hooks', async () => {
    const ran: string[] = [];
    const { handle, exitCodes } = await start({
      mesh: {
        close: () => Promise.reject(new Error('pool stuck')),
      },
      onShutdown: [
        () => {
          throw new Error('flush failed');
        },
        () => void ran.push('second hook'),
      ],
    });
    expect(await handle.drain()).toBe(1);
    expect(ran).toEqual(['second hook']);
    expect(exitCodes).toEqual([1]);
  });

  it('bounds the mesh close and hooks by drain.hooksTimeoutMs', async () => {
    const { handle, exitCodes } = await start({
      drain: { delayMs: 0, timeoutMs: 1_000, hooksTimeoutMs: 200 },
      onShutdown: () => new Promise(() => undefined),
    });
    const started = Date.now();
    expect(await handle.drain()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(exitCodes).toEqual([1]);
  });

  it('drains on the first signal, exits 1 at once on the second, then lets go of the signals', async () => {
    const listenersBefore = process.listenerCount('SIGUSR2');
    const { handle, exitCodes, logger } = await start({
      signals: ['SIGUSR2'],
      drain: { delayMs: 400, timeoutMs: 1_000 },
    });
    expect(process.listenerCount('SIGUSR2')).toBe(listenersBefore + 1);
    // emit() runs the handlers exactly as a delivered signal would, without signalling the runner.
    process.emit('SIGUSR2', 'SIGUSR2');
    await waitFor(() => handle.state.draining, 'the drain to start');
    expect(exitCodes).toEqual([]);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exitCodes).toEqual([1]);
    expect(logger.messages()).toContain(
      'Received SIGUSR2 again while draining: exiting now with code 1',
    );
    await handle.drain();
    expect(exitCodes).toEqual([1]);
    expect(process.listenerCount('SIGUSR2')).toBe(listenersBefore);
  });

  it('rejects and leaves nothing listening when registration fails', async () => {
    const port = await freePort();
    const state = new ServerState({ service: 'shop' });
    await expect(
      startMeshServer(serviceApp(state), {
        state,
        port,
        signals: [],
        logger: silentLogger,
        registry: { register: () => Promise.reject(new Error('registry unwritable')) },
      }),
    ).rejects.toThrow('registry unwritable');
    expect(state.registered).toBe(false);
    // The port is free again.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('rejects with EADDRINUSE when the port is taken, and registers nothing', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const registered: string[] = [];
    const state = new ServerState({ service: 'shop' });
    try {
      await expect(
        startMeshServer(serviceApp(state), {
          state,
          port,
          signals: [],
          logger: silentLogger,
          registry: {
            register: async (options) => {
              registered.push(options.service);
              throw new Error('not expected');
            },
          },
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(registered).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
