import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createMesh,
  LocalRegistry,
  silentLogger,
  type Mesh,
  type MeshOptions,
  type Registration,
} from '@trellis/mesh';
import { meshAdminRoutes, ServerState } from '@trellis/mesh-express';
import express from 'express';

/** A registry directory of its own per test, with fast rescans. */
export class TestRegistry {
  private constructor(readonly dir: string) {}

  static async create(): Promise<TestRegistry> {
    return new TestRegistry(await mkdtemp(join(tmpdir(), 'dashboard-registry-')));
  }

  /** A registry client on the directory, as each process has its own. */
  open(): LocalRegistry {
    return new LocalRegistry({ dir: this.dir, scanIntervalMs: 100, logger: silentLogger });
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

export function listen(handler: RequestListener, port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** How a test backend answers every route but the admin ones. */
export interface BackendBehaviour {
  latencyMs: number;
  status: number;
}

/** One replica of an upstream service: admin routes, a lease, and one answer for everything. */
export class Backend {
  private constructor(
    readonly replica: string,
    readonly behaviour: BackendBehaviour,
    readonly server: Server,
    private readonly registry: LocalRegistry,
    readonly registration: Registration,
  ) {}

  static async start(registry: TestRegistry, service: string, replica: string): Promise<Backend> {
    const state = new ServerState({ service });
    const behaviour: BackendBehaviour = { latencyMs: 0, status: 200 };
    const app = express();
    app.use(meshAdminRoutes({ state }));
    app.use(async (request, response) => {
      const { latencyMs, status } = behaviour;
      if (latencyMs > 0) await delay(latencyMs);
      response.status(status).json({ replica, path: request.path });
    });
    const server = await listen(app);
    const client = registry.open();
    const registration = await client.register({
      service,
      address: '127.0.0.1',
      port: portOf(server),
      metadata: { replica },
    });
    state.markRegistered(registration.instanceId);
    return new Backend(replica, behaviour, server, client, registration);
  }

  get port(): number {
    return portOf(this.server);
  }

  async stop(): Promise<void> {
    await this.registry.close();
    await closeServer(this.server);
  }
}

export interface CallOptions {
  count: number;
  path?: string;
  method?: 'GET' | 'POST';
  concurrency?: number;
}

/** A calling service's replica: a real mesh to its upstreams, and admin routes showing it. */
export class Caller {
  private constructor(
    readonly service: string,
    readonly replica: string,
    readonly mesh: Mesh,
    readonly server: Server,
    private readonly registry: LocalRegistry,
    readonly registration: Registration,
  ) {}

  static async start(
    registry: TestRegistry,
    service: string,
    replica: string,
    upstreams: MeshOptions['upstreams'] = {},
    port = 0,
  ): Promise<Caller> {
    const client = registry.open();
    const mesh = createMesh({ discovery: client, logger: silentLogger, upstreams });
    const state = new ServerState({ service });
    const app = express();
    app.use(meshAdminRoutes({ state, mesh }));
    const server = await listen(app, port);
    const registration = await client.register({
      service,
      address: '127.0.0.1',
      port: portOf(server),
      metadata: { replica },
    });
    state.markRegistered(registration.instanceId);
    return new Caller(service, replica, mesh, server, client, registration);
  }

  get port(): number {
    return portOf(this.server);
  }

  /** Sends `count` calls, `concurrency` at a time; answers the statuses (0 for a thrown call). */
  async call(upstream: string, options: CallOptions): Promise<number[]> {
    const statuses: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < options.count) {
        next += 1;
        try {
          const response = await this.mesh.client(upstream).request({
            method: options.method ?? 'GET',
            path: options.path ?? '/products',
            ...(options.method === 'POST' && { json: { n: next } }),
          });
          await response.body.dump();
          statuses.push(response.statusCode);
        } catch {
          statuses.push(0);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
    return statuses;
  }

  async stop(): Promise<void> {
    await this.mesh.close({ force: true });
    await this.registry.close();
    await closeServer(this.server);
  }
}

/** A replica in a process of its own (built libraries, as it ships), so a test can SIGKILL it. */
export class ReplicaProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(
    registry: TestRegistry,
    service: string,
    replica: string,
  ): Promise<ReplicaProcess> {
    const child = spawn(
      process.execPath,
      [join(__dirname, 'dashboard-replica.fixture.mjs'), service, replica, registry.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /ready (\d+)/.exec(output);
        if (ready) resolve(Number(ready[1]));
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`replica exited ${code}: ${output}`)));
    });
    return new ReplicaProcess(child, port);
  }

  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    return exited;
  }
}

/** A stand-in for the launcher's control API: records what it is sent, answers what it is told. */
export class FakeLauncher {
  readonly chaosBodies: unknown[] = [];
  chaosAnswer: { status: number; body: unknown } = { status: 200, body: { ok: true } };
  status: unknown = { services: [] };
  #server: Server | undefined;

  static async start(): Promise<FakeLauncher> {
    const launcher = new FakeLauncher();
    launcher.#server = await listen(async (request, response) => {
      const send = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'GET' && request.url === '/status') return send(200, launcher.status);
      if (request.method === 'POST' && request.url === '/chaos') {
        let text = '';
        for await (const chunk of request) text += String(chunk);
        launcher.chaosBodies.push(JSON.parse(text));
        return send(launcher.chaosAnswer.status, launcher.chaosAnswer.body);
      }
      send(404, { error: 'no such route' });
    });
    return launcher;
  }

  get url(): string {
    return `http://127.0.0.1:${portOf(this.#server!)}`;
  }

  stop(): Promise<void> {
    return closeServer(this.#server!);
  }
}

/** A port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = await listen(express());
  const port = portOf(server);
  await closeServer(server);
  return port;
}

/** Polls `probe` until it answers something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}
