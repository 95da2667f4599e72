import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
  registryDir = await mkdtemp(join(tmpdir(), 'catalog-registry-'));
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

describe('the catalog process', () => {
  it('registers itself, serves callers that find it through the local registry, and drains on SIGTERM', async () => {
    const service = start({ DRAIN_DELAY_MS: '100' });
    const registry = new LocalRegistry({ dir: registryDir });
    const mesh = createMesh({ discovery: registry });
    try {
      const product = await mesh
        .client('catalog')
        .json<{ sku: string }>({ path: '/products/tea-02' });
      expect(product.sku).toBe('tea-02');
      expect(await readdir(join(registryDir, 'catalog'))).toHaveLength(1);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expect(
        (await readdir(join(registryDir, 'catalog'))).filter((name) => name.endsWith('.json')),
      ).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await mesh.close();
      await registry.close();
    }
  });

  it('exits with code 2 and names the variable when the environment is wrong', async () => {
    const service = start({ ERROR_RATE: 'often' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/ERROR_RATE is \\"often\\"/);
  });
});
