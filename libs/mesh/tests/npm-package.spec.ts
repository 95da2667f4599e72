import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type Replica } from './support/replicas.js';

const run = promisify(execFile);
const libraryRoot = join(import.meta.dirname, '..');
const workspaceBin = join(libraryRoot, '..', '..', 'node_modules', '.bin');

let consumer: string;
let replicas: Replica[];

// The published shape, checked the way a user meets it: a packed tarball installed into a
// project outside the workspace, used from plain Node scripts, ESM and CommonJS.
beforeAll(async () => {
  // A clean build: files left in dist by an earlier build would be packed too.
  await rm(join(libraryRoot, 'dist'), { recursive: true, force: true });
  await run(join(workspaceBin, 'tsc'), ['--build', 'tsconfig.lib.json'], { cwd: libraryRoot });
  consumer = await mkdtemp(join(tmpdir(), 'trellis-consumer-'));
  await run('npm', ['pack', '--silent', '--pack-destination', consumer], { cwd: libraryRoot });
  const tarball = (await readdir(consumer)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${consumer}`);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], {
    cwd: consumer,
  });
  replicas = await startReplicas(2, 'packed');
}, 180_000);

afterAll(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.close()));
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

const callTwentyTimes = (importLine: string): string => `${importLine}
const mesh = createMesh({ defaults: { balancer: 'round-robin' } });
const echo = mesh.client('echo');
const seen = {};
for (let i = 0; i < 20; i++) {
  const answer = await echo.json({ path: '/hello' });
  seen[answer.replica] = (seen[answer.replica] ?? 0) + 1;
}
await mesh.close();
console.log(JSON.stringify(seen));
`;

async function runConsumerScript(file: string, source: string): Promise<Record<string, number>> {
  await writeFile(join(consumer, file), source);
  const upstream = replicas.map((replica) => `127.0.0.1:${replica.port}`).join(',');
  const { stdout } = await run(process.execPath, [file], {
    cwd: consumer,
    env: {
      ...process.env,
      TRELLIS_UPSTREAM_ECHO: upstream,
      TRELLIS_REGISTRY_DIR: join(consumer, 'registry'),
    },
  });
  return JSON.parse(stdout.trim()) as Record<string, number>;
}

describe('the packed npm package', () => {
  it('ships compiled JavaScript, type declarations and the README, and no sources or tests', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: libraryRoot });
    const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map(
      (file) => file.path,
    );
    expect(files).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'package.json']),
    );
    expect(files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((path) => path.includes('spec') || path.includes('test-support'))).toEqual(
      [],
    );
  });

  it('calls two local replicas from a plain ESM script', async () => {
    const seen = await runConsumerScript(
      'call.mjs',
      callTwentyTimes("import { createMesh } from '@trellis/mesh';"),
    );
    expect(seen).toEqual({ 'packed-1': 10, 'packed-2': 10 });
  });

  it('calls two local replicas from a CommonJS script through require', async () => {
    const source = `(async () => {\n${callTwentyTimes("const { createMesh } = require('@trellis/mesh');")}\n})();`;
    const seen = await runConsumerScript('call.cjs', source);
    expect(seen).toEqual({ 'packed-1': 10, 'packed-2': 10 });
  });
});
