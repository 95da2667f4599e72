import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_SERVER_MISSING =
  'redis-server is not installed, so the Redis-backed stores are not tested here: apt-get install redis-server';

/**
 * The redis-server binary on PATH. Missing, it fails loudly on CI (which must test the
 * Redis-backed stores) and elsewhere returns undefined, so those tests are skipped with REDIS_SERVER_MISSING.
 */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  if (process.env.CI) {
    throw new Error(
      'redis-server is not installed, and CI must test the Redis-backed stores: apt-get install redis-server',
    );
  }
  console.warn(REDIS_SERVER_MISSING);
  return undefined;
}

/** A throwaway redis-server on a free loopback port: no persistence, its own temp dir. */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(binary: string): Promise<RedisServer> {
    const server = new RedisServer(
      binary,
      await freePort(),
      await mkdtemp(join(tmpdir(), 'redis-server-')),
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail('did not get ready within 10 s'), 10_000);
      function fail(why: string): void {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`redis-server ${why}:\n${output}`));
      }
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (!output.includes('Ready to accept connections')) return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null): void => fail(`exited with ${code}`);
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  }

  /** Kills the server at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A plain client, to look at what the store wrote or to clear it. Close it after use. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async flush(): Promise<void> {
    const client = this.client();
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
