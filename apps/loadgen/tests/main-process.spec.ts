import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { LocalRegistry, type Lease } from '@trellis/mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStorefront } from './support/fake-storefront.js';

const appRoot = join(__dirname, '..');
const repoRoot = join(appRoot, '..', '..');
const main = join(appRoot, 'dist', 'main.js');
let registryDir: string;

beforeAll(async () => {
  // The service runs as it ships: compiled to CommonJS, with its libraries' builds.
  await promisify(execFile)(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', 'tsconfig.app.json'],
    { cwd: appRoot },
  );
  registryDir = await mkdtemp(join(tmpdir(), 'loadgen-registry-'));
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

async function leases(service: string): Promise<Lease[]> {
  const names = await readdir(join(registryDir, service)).catch(() => [] as string[]);
  const files = names.filter((name) => name.endsWith('.json'));
  return Promise.all(
    files.map(async (name) => JSON.parse(await readFile(join(registryDir, service, name), 'utf8'))),
  );
}

async function waitFor<T>(read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(100);
  }
}

describe('the loadgen process', () => {
  it('finds the storefront through the registry, sends load, takes new settings and drains on SIGTERM', async () => {
    const storefront = await startFakeStorefront();
    const registry = new LocalRegistry({ dir: registryDir });
    await registry.register({ service: 'storefront', address: '127.0.0.1', port: storefront.port });
    const loadgen = start({ REPLICA: 'loadgen-1', LOAD_RPS: '20', DRAIN_DELAY_MS: '100' });
    try {
      const lease = await waitFor(async () => (await leases('loadgen'))[0]);
      expect(lease.metadata).toEqual({ replica: 'loadgen-1' });
      const url = `http://${lease.address}:${lease.port}/admin/load`;
      const report = await waitFor(async () => {
        const answer = (await (await fetch(url)).json()) as { ok: number; rps: number };
        return answer.ok >= 5 ? answer : undefined;
      });
      expect(report.rps).toBe(20);
      expect(storefront.received.length).toBeGreaterThanOrEqual(5);

      const paused = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rps: 0, mix: 'browse=1' }),
      });
      expect(paused.status).toBe(200);
      expect(await paused.json()).toMatchObject({ rps: 0, mix: 'browse=1,cart=0,checkout=0' });
      const bad = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rps: 'lots' }),
      });
      expect(bad.status).toBe(400);

      loadgen.child.kill('SIGTERM');
      expect(await loadgen.exited).toBe(0);
      expect(await leases('loadgen')).toEqual([]);
    } finally {
      loadgen.child.kill('SIGKILL');
      await registry.close();
      await storefront.close();
    }
  });

  it.each([
    ['LOAD_RPS', 'fast'],
    ['LOAD_RPS', '5000'],
    ['LOAD_MIX', 'browse=70,buy=30'],
  ])('exits with code 2 and names %s when it is %j', async (variable, value) => {
    const loadgen = start({ [variable]: value });
    expect(await loadgen.exited).toBe(2);
    expect(loadgen.output()).toContain(`${variable} is \\"${value}\\"`);
  });
});
