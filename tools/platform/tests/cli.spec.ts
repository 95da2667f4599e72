import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../src/platform.js';
import type { PlatformStatus } from '../src/status.js';
import { build, platformRoot, repoRoot } from './support/workspace.js';

const trellisBin = join(platformRoot, 'bin', 'trellis.mjs');
let workDir: string;
let platform: Platform;

beforeAll(async () => {
  // The CLI runs as it ships: bin/trellis.mjs over the compiled dist/cli.js.
  await build(
    'tools/platform/tsconfig.lib.json',
    'apps/catalog/tsconfig.app.json',
    'apps/shipping/tsconfig.app.json',
  );
  workDir = await mkdtemp(join(tmpdir(), 'trellis-cli-'));
  platform = await startPlatform({
    repoRoot,
    registryDir: join(workDir, 'registry'),
    stateDir: join(workDir, '.trellis'),
    replicas: {
      storefront: 0,
      cart: 0,
      checkout: 0,
      payments: 0,
      loadgen: 0,
      catalog: 1,
      shipping: 1,
    },
    storefrontPort: 0,
    drainDelayMs: 100,
  });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await rm(workDir, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `trellis <args>` as a process; the launcher comes from `launcherUrl` or from `cwd`. */
function trellis(args: string[], options: { launcherUrl?: string | null; cwd?: string } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['TRELLIS_LAUNCHER_URL'];
  const launcherUrl = options.launcherUrl === undefined ? platform.controlUrl : options.launcherUrl;
  if (launcherUrl !== null) env['TRELLIS_LAUNCHER_URL'] = launcherUrl;
  return new Promise<CliRun>((resolve) => {
    execFile(
      process.execPath,
      [trellisBin, ...args],
      { cwd: options.cwd ?? workDir, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

async function knobsOf(name: string): Promise<unknown> {
  const status = await platform.status();
  const replica = status.services
    .flatMap((service) => service.replicas)
    .find((r) => r.replica === name);
  return (await fetch(`${replica!.url}/admin/knobs`)).json();
}

describe('trellis against a running launcher', () => {
  it('status prints a plain table of every replica and the load', async () => {
    const run = await trellis(['status']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^SERVICE\s+REPLICA\s+STATE\s+PID\s+URL\s+KNOBS$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^catalog\s+catalog-1\s+running\s+\d+\s+http:\/\/127\.0\.0\.1:\d+\s+-$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^shipping\s+shipping-1\s+running\s+\d+\s+http:/),
    );
    expect(run.stdout).toContain('load: no loadgen replica is running');
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('status --json prints the control API answer', async () => {
    const run = await trellis(['status', '--json']);
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout) as PlatformStatus;
    expect(status.services.find((service) => service.service === 'catalog')!.replicas).toHaveLength(
      1,
    );
  });

  it('chaos slow, fail and hang set the knobs, and heal clears them', async () => {
    expect(await trellis(['chaos', 'slow', 'catalog-1', '250ms'])).toMatchObject({
      code: 0,
      stdout: 'catalog-1: knobs latency 250ms\n',
    });
    expect(await knobsOf('catalog-1')).toEqual({ latencyMs: 250, errorRate: 0, hang: false });
    expect((await trellis(['chaos', 'fail', 'shipping-1', '50%'])).stdout).toBe(
      'shipping-1: knobs errors 50%\n',
    );
    expect((await trellis(['chaos', 'hang', 'shipping-1'])).stdout).toBe(
      'shipping-1: knobs errors 50%, hang\n',
    );
    expect(await knobsOf('shipping-1')).toEqual({ latencyMs: 0, errorRate: 0.5, hang: true });
    expect((await trellis(['status'])).stdout).toMatch(
      /shipping-1\s+running\s+\d+\s+\S+\s+errors 50%, hang/,
    );
    expect((await trellis(['chaos', 'heal', 'shipping-1'])).stdout).toBe(
      'shipping-1 healed: running, knobs -\n',
    );
    await trellis(['chaos', 'heal', 'catalog-1']);
    expect(await knobsOf('catalog-1')).toEqual({ latencyMs: 0, errorRate: 0, hang: false });
  });

  it('chaos kill takes a replica down until chaos heal starts it again', async () => {
    expect((await trellis(['chaos', 'kill', 'catalog-1'])).stdout).toBe(
      'catalog-1 killed; it stays down until `trellis chaos heal catalog-1`\n',
    );
    expect((await trellis(['status'])).stdout).toMatch(/catalog-1\s+killed\s+-\s+-\s+-/);
    expect((await trellis(['chaos', 'heal', 'catalog-1'])).stdout).toBe(
      'catalog-1 healed: running, knobs -\n',
    );
    expect((await trellis(['status'])).stdout).toMatch(
      /catalog-1\s+running \(restarted 1x\)\s+\d+/,
    );
  });

  it('scale starts and stops replicas and shows the services it scaled', async () => {
    const up = await trellis(['scale', 'catalog=2', 'shipping=2']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/catalog-2\s+running/);
    expect(up.stdout).toMatch(/shipping-2\s+running/);
    const down = await trellis(['scale', 'catalog=1', 'shipping=1']);
    expect(down.stdout).not.toMatch(/catalog-2|shipping-2/);
    const status = await platform.status();
    expect(status.services.flatMap((service) => service.replicas.map((r) => r.replica))).toEqual([
      'catalog-1',
      'shipping-1',
    ]);
  });

  it('prints the launcher refusing a request and exits 1', async () => {
    expect(await trellis(['chaos', 'kill', 'catalog-9'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trellis: no replica "catalog-9"; the replicas are catalog-1, shipping-1\n',
    });
    expect(await trellis(['load', '10rps'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trellis: no loadgen replica is running; start one with `trellis scale loadgen=1`\n',
    });
  });

  it('exits 2 on bad arguments, naming the argument and the form, before calling the launcher', async () => {
    expect(await trellis(['scale', 'catalog'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'trellis: "catalog" is not <service>=<replicas>; e.g. trellis scale catalog=5\n',
    });
    expect(
      await trellis(['chaos', 'slow', 'catalog-1', 'soon'], { launcherUrl: null, cwd: tmpdir() }),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^trellis: "soon" is not a latency; use 300ms, 1s or 300/),
    });
    expect(await trellis([])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/a command is missing/),
    });
  });

  it('prints the help', async () => {
    const run = await trellis(['--help'], { launcherUrl: null });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^trellis: steer the shop/);
    expect(run.stdout).toContain('trellis chaos slow <replica> <time>');
  });
});

describe('finding the launcher', () => {
  it('uses the nearest .trellis/launcher.json walking up from the current directory', async () => {
    const nested = join(workDir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    const run = await trellis(['status'], { launcherUrl: null, cwd: nested });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/catalog-1\s+running/);
  });

  it('exits 1 saying how to start the platform when there is none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'trellis-none-'));
    try {
      expect(await trellis(['status'], { launcherUrl: null, cwd: empty })).toEqual({
        code: 1,
        stdout: '',
        stderr: 'trellis: no running platform found: start it with `npm start`\n',
      });
      // A file left behind by a launcher that was killed does not count.
      mkdirSync(join(empty, '.trellis'));
      writeFileSync(
        join(empty, '.trellis', 'launcher.json'),
        JSON.stringify({ url: 'http://127.0.0.1:1', pid: 2 ** 22 + 1 }),
      );
      expect((await trellis(['status'], { launcherUrl: null, cwd: empty })).stderr).toBe(
        'trellis: no running platform found: start it with `npm start`\n',
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('exits 1 when TRELLIS_LAUNCHER_URL points at nothing', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise((resolve) => server.close(resolve));
    const run = await trellis(['status'], { launcherUrl: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `trellis: no running platform found: start it with \`npm start\` (http://127.0.0.1:${port} from TRELLIS_LAUNCHER_URL does not answer)\n`,
    );
    const garbled = await trellis(['status'], { launcherUrl: 'not a url' });
    expect(garbled.stderr).toBe(
      'trellis: no running platform found: start it with `npm start` (TRELLIS_LAUNCHER_URL gives "not a url", which is not a URL)\n',
    );
  });
});
