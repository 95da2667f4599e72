import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformStatus } from '../src/status.js';
import { build, isAlive, leasesIn, platformRoot, repoRoot, waitFor } from './support/workspace.js';

const fixture = join(platformRoot, 'tests', 'fixtures', 'launcher.mjs');
let workDir: string | undefined;
let pidsToReap: number[] = [];

beforeAll(async () => {
  await build(
    'tools/platform/tsconfig.lib.json',
    'apps/catalog/tsconfig.app.json',
    'apps/shipping/tsconfig.app.json',
  );
}, 180_000);

afterEach(async () => {
  // Should a test fail half-way, nothing it started outlives it.
  for (const pid of pidsToReap) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  pidsToReap = [];
  if (workDir) await rm(workDir, { recursive: true, force: true });
  workDir = undefined;
});

async function launch(mode: 'platform' | 'crash' | 'start') {
  workDir = await mkdtemp(join(tmpdir(), 'trellis-launcher-'));
  const child = spawn(process.execPath, [fixture, mode, workDir, repoRoot], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pidsToReap.push(child.pid!);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => output,
    registryDir: join(workDir, 'registry'),
    stateDir: join(workDir, '.trellis'),
  };
}

/** The replicas' pids, from the launcher's control API once it has started them all. */
async function replicaPids(stateDir: string): Promise<number[]> {
  const status = await waitFor(
    async () => {
      if (!existsSync(join(stateDir, 'launcher.json'))) return undefined;
      const { url } = JSON.parse(readFileSync(join(stateDir, 'launcher.json'), 'utf8'));
      const answer = (await (await fetch(`${url}/status`)).json()) as PlatformStatus;
      const replicas = answer.services.flatMap((service) => service.replicas);
      return replicas.length === 3 && replicas.every((replica) => replica.state === 'running')
        ? replicas
        : undefined;
    },
    'three running replicas',
    60_000,
  );
  const pids = status.map((replica) => replica.pid!);
  pidsToReap.push(...pids);
  return pids;
}

/** The pids the fixture prints once its replicas are up (it may be gone a moment later). */
async function printedPids(output: () => string): Promise<number[]> {
  const line = await waitFor(
    // Whole lines only: the last piece may still be arriving.
    () =>
      output()
        .split('\n')
        .slice(0, -1)
        .find((text) => text.startsWith('{"pids":')),
    'the fixture to print its replicas',
    60_000,
  );
  const { pids } = JSON.parse(line) as { pids: number[] };
  pidsToReap.push(...pids);
  return pids;
}

async function expectAllGone(pids: number[], registryDir: string): Promise<void> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 'every replica to exit', 30_000);
  await waitFor(async () => (await leasesIn(registryDir)).length === 0, 'no lease left', 10_000);
}

describe('when the launcher goes away', () => {
  it('SIGKILL: its replicas notice, drain and exit, removing their leases', async () => {
    const launcher = await launch('platform');
    const pids = await replicaPids(launcher.stateDir);
    expect(pids.every(isAlive)).toBe(true);
    launcher.child.kill('SIGKILL');
    expect(await launcher.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await expectAllGone(pids, launcher.registryDir);
  });

  it('SIGTERM without a handler: the same', async () => {
    const launcher = await launch('platform');
    const pids = await replicaPids(launcher.stateDir);
    launcher.child.kill('SIGTERM');
    expect((await launcher.exited).signal).toBe('SIGTERM');
    await expectAllGone(pids, launcher.registryDir);
  });

  it('a crash: its exit hook kills the replicas and removes their leases and launcher.json', async () => {
    const launcher = await launch('crash');
    // The fixture crashes 100 ms after printing its replicas: no time to ask its control API.
    const pids = await printedPids(launcher.output);
    expect(pids).toHaveLength(3);
    expect((await launcher.exited).code).toBe(1);
    expect(launcher.output()).toContain('the launcher crashed');
    await expectAllGone(pids, launcher.registryDir);
    expect(existsSync(join(launcher.stateDir, 'launcher.json'))).toBe(false);
  });
});

describe('the start command', () => {
  it('prints progress and the banner, and on Ctrl-C stops everything in order and says so', async () => {
    const launcher = await launch('start');
    const pids = await replicaPids(launcher.stateDir);
    await waitFor(() => launcher.output().includes('Ctrl-C stops everything.'), 'the banner');
    const banner = launcher.output();
    expect(banner).toContain('Starting 3 replicas...');
    expect(banner).toMatch(/\[1\/3\] (catalog|shipping)-\d is up at http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain('The shop is running (all 3 replicas up).');
    expect(banner).toContain('npx trellis status');
    expect(banner).toContain('npx trellis chaos kill catalog-1');
    // Piped, not a terminal: plain text.
    expect(banner).not.toContain('\u001b[');

    launcher.child.kill('SIGINT');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    expect(launcher.output()).toContain('Ctrl-C: stopping every replica');
    expect(launcher.output()).toContain(
      'Stopped: every replica has exited; nothing is left running.',
    );
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(await leasesIn(launcher.registryDir)).toEqual([]);
    expect(existsSync(join(launcher.stateDir, 'launcher.json'))).toBe(false);
  });
});
