import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, RedisServer } from './support/redis-server.js';

const appRoot = join(__dirname, '..');
const repoRoot = join(appRoot, '..', '..');
const main = join(appRoot, 'dist', 'main.js');
const redisServer = findRedisServer();
let registryDir: string;

beforeAll(async () => {
  // The service runs as it ships: compiled to CommonJS, with its libraries' builds.
  await promisify(execFile)(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', 'tsconfig.app.json'],
    { cwd: appRoot },
  );
  registryDir = await mkdtemp(join(tmpdir(), 'cart-registry-'));
}, 120_000);

afterAll(() => rm(registryDir, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, TRELLIS_REGISTRY_DIR: registryDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

/** Registers, serves a consistent-hash caller that finds it in the registry, drains on SIGTERM. */
async function serveAndDrain(env: Record<string, string>): Promise<string> {
  const service = start({ DRAIN_DELAY_MS: '100', ...env });
  const registry = new LocalRegistry({ dir: registryDir });
  const mesh = createMesh({
    discovery: registry,
    upstreams: { cart: { balancer: 'consistent-hash' } },
  });
  try {
    const cart = mesh.client('cart');
    await cart.json({
      method: 'PUT',
      path: '/carts/ada/items/tea-02',
      json: { qty: 2 },
      hashKey: 'ada',
    });
    expect(await cart.json({ path: '/carts/ada', hashKey: 'ada' })).toEqual({
      userId: 'ada',
      items: [{ sku: 'tea-02', qty: 2 }],
    });
    expect(await readdir(join(registryDir, 'cart'))).toHaveLength(1);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(
      (await readdir(join(registryDir, 'cart'))).filter((name) => name.endsWith('.json')),
    ).toEqual([]);
    return service.output();
  } finally {
    service.child.kill('SIGKILL');
    await mesh.close();
    await registry.close();
  }
}

describe('the cart process', () => {
  it('keeps carts in memory, serves callers that find it, and drains on SIGTERM', async () => {
    const output = await serveAndDrain({});
    expect(output).toMatch(/carts are kept in memory/);
  });

  it.skipIf(!redisServer)(
    'keeps carts in Redis when REDIS_URL is set, and closes the connection on drain',
    async () => {
      const server = await RedisServer.start(redisServer!);
      const inspect = server.client();
      try {
        const output = await serveAndDrain({ REDIS_URL: server.url });
        expect(await inspect.hgetall('trellis:cart:{ada}:items')).toEqual({ 'tea-02': '2' });
        expect(output).toMatch(/carts are kept in Redis/);
        // Closed by the drain after in-flight requests, before the process exits.
        expect(output).toMatch(/closed the Redis connection/);
        expect(output.indexOf('closed the Redis connection')).toBeLessThan(
          output.indexOf('Drain complete'),
        );
      } finally {
        inspect.disconnect();
        await server.stop();
      }
    },
  );

  it('exits with code 2 and names REDIS_URL when it is not a Redis URL', async () => {
    const service = start({ REDIS_URL: 'http://127.0.0.1:6379' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/REDIS_URL is \\"http:\/\/127.0.0.1:6379\\"/);
    expect(service.output()).toMatch(/use a redis:\/\/ or rediss:\/\/ URL/);
  });
});
