import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformEvent } from '../src/events.js';
import { startPlatform, type Platform } from '../src/platform.js';
import type { PlatformStatus, ReplicaStatus } from '../src/status.js';
import { build, isAlive, leasesIn, repoRoot, waitFor } from './support/workspace.js';

let workDir: string;
let registryDir: string;
let stateDir: string;
let platform: Platform;
const events: PlatformEvent[] = [];

beforeAll(async () => {
  await build(
    'apps/catalog/tsconfig.app.json',
    'apps/payments/tsconfig.app.json',
    'apps/shipping/tsconfig.app.json',
    'apps/loadgen/tsconfig.app.json',
  );
  workDir = await mkdtemp(join(tmpdir(), 'trellis-platform-'));
  registryDir = join(workDir, 'registry');
  stateDir = join(workDir, '.trellis');
  platform = await startPlatform({
    repoRoot,
    registryDir,
    stateDir,
    replicas: {
      storefront: 0,
      cart: 0,
      checkout: 0,
      catalog: 2,
      payments: 2,
      shipping: 1,
      loadgen: 1,
    },
    storefrontPort: 0,
    loadRps: 0,
    drainDelayMs: 100,
    onEvent: (event) => events.push(event),
  });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await rm(workDir, { recursive: true, force: true });
});

function replicaOf(status: PlatformStatus, name: string): ReplicaStatus | undefined {
  return status.services
    .flatMap((service) => service.replicas)
    .find((replica) => replica.replica === name);
}

async function replica(name: string): Promise<ReplicaStatus> {
  const found = replicaOf(await platform.status(), name);
  if (!found) throw new Error(`no ${name} in the status`);
  return found;
}

async function knobsOf(name: string): Promise<unknown> {
  const { url } = await replica(name);
  return (await fetch(`${url}/admin/knobs`)).json();
}

function control(path: string, body?: unknown, method = 'POST') {
  return fetch(`${platform.controlUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

describe('startPlatform', () => {
  it('starts every replica, each registered under its name with the URL the status shows', async () => {
    const status = await platform.status();
    const names = status.services.map((service) => [
      service.service,
      service.replicas.map((r) => r.replica),
    ]);
    expect(names).toEqual([
      ['storefront', []],
      ['catalog', ['catalog-1', 'catalog-2']],
      ['cart', []],
      ['checkout', []],
      ['payments', ['payments-1', 'payments-2']],
      ['shipping', ['shipping-1']],
      ['loadgen', ['loadgen-1']],
    ]);
    const leases = await leasesIn(registryDir);
    expect(leases).toHaveLength(6);
    for (const service of status.services) {
      for (const entry of service.replicas) {
        expect(entry).toMatchObject({
          state: 'running',
          restarts: 0,
          knobs: { latencyMs: 0, errorRate: 0, hang: false },
        });
        expect(isAlive(entry.pid!)).toBe(true);
        const lease = leases.find((candidate) => candidate.metadata?.['replica'] === entry.replica);
        expect(lease).toMatchObject({ service: service.service, pid: entry.pid });
        expect(entry.url).toBe(`http://127.0.0.1:${lease!.port}`);
        expect((await fetch(`${entry.url}/readyz`)).status).toBe(200);
        expect(existsSync(join(stateDir, 'logs', `${entry.replica}.log`))).toBe(true);
      }
    }
    expect(status.storefrontUrl).toBeNull();
    expect(status.load).toMatchObject({ rps: 0, mix: 'browse=70,cart=20,checkout=10', sent: 0 });
    expect(events.filter((event) => event.type === 'replica-ready')).toHaveLength(6);
  });

  it('writes launcher.json with the control URL and its pid', async () => {
    const launcher = JSON.parse(readFileSync(join(stateDir, 'launcher.json'), 'utf8'));
    expect(launcher).toEqual({ url: platform.controlUrl, pid: process.pid });
    const answer = await fetch(`${launcher.url}/status`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as PlatformStatus).services).toHaveLength(7);
  });

  it('refuses a second launcher in the same state directory', async () => {
    // The file names this process, which is alive: write it as another live process's.
    const { writeLauncherFile } = await import('../src/launcher-file.js');
    const file = join(stateDir, 'launcher.json');
    const original = readFileSync(file, 'utf8');
    writeLauncherFile(stateDir, { url: platform.controlUrl, pid: process.ppid });
    try {
      await expect(
        startPlatform({ repoRoot, registryDir, stateDir, replicas: { storefront: 0, catalog: 0 } }),
      ).rejects.toThrow(/a platform is already running here \(launcher pid \d+/);
    } finally {
      writeLauncherFile(stateDir, JSON.parse(original));
    }
  });

  it('refuses a service that is not built, naming it', async () => {
    await expect(
      startPlatform({
        repoRoot: workDir,
        registryDir,
        stateDir: join(workDir, 'other-state'),
        replicas: {
          storefront: 0,
          cart: 0,
          checkout: 0,
          payments: 0,
          shipping: 0,
          loadgen: 0,
          catalog: 1,
        },
      }),
    ).rejects.toThrow(/not built: apps\/catalog\/dist\/main\.js/);
  });
});

describe('chaos', () => {
  it('slow, fail and hang set the replica knobs, and heal sets them back', async () => {
    const slow = await control('/chaos', { action: 'slow', replica: 'catalog-2', latencyMs: 300 });
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual({
      ok: true,
      replica: 'catalog-2',
      action: 'slow',
      knobs: { latencyMs: 300, errorRate: 0, hang: false },
    });
    expect(await knobsOf('catalog-2')).toEqual({ latencyMs: 300, errorRate: 0, hang: false });

    await platform.chaos({ action: 'fail', replica: 'payments-1', errorRate: 0.5 });
    expect(await knobsOf('payments-1')).toMatchObject({ errorRate: 0.5 });
    await platform.chaos({ action: 'hang', replica: 'shipping-1' });
    expect(await knobsOf('shipping-1')).toMatchObject({ hang: true });
    expect((await replica('catalog-2')).knobs).toEqual({
      latencyMs: 300,
      errorRate: 0,
      hang: false,
    });

    for (const name of ['catalog-2', 'payments-1', 'shipping-1']) {
      const healed = await platform.chaos({ action: 'heal', replica: name });
      expect(healed.knobs).toEqual({ latencyMs: 0, errorRate: 0, hang: false });
      expect(await knobsOf(name)).toEqual({ latencyMs: 0, errorRate: 0, hang: false });
    }
  });

  it('kill SIGKILLs the replica: its pid is gone, its state is killed, its lease is gone', async () => {
    const before = await replica('catalog-1');
    const killed = await control('/chaos', { action: 'kill', replica: 'catalog-1' });
    expect(await killed.json()).toEqual({
      ok: true,
      replica: 'catalog-1',
      action: 'kill',
      knobs: null,
    });
    expect(isAlive(before.pid!)).toBe(false);
    expect(await replica('catalog-1')).toMatchObject({
      state: 'killed',
      pid: null,
      url: null,
      knobs: null,
    });
    const leases = await leasesIn(registryDir);
    expect(leases.some((lease) => lease.pid === before.pid)).toBe(false);
    expect(
      events.some((event) => event.type === 'replica-killed' && event.replica === 'catalog-1'),
    ).toBe(true);
  });

  it('refuses knobs and a second kill on a killed replica with 409', async () => {
    const slow = await control('/chaos', { action: 'slow', replica: 'catalog-1', latencyMs: 5 });
    expect(slow.status).toBe(409);
    expect(((await slow.json()) as { error: { message: string } }).error.message).toBe(
      'catalog-1 is killed; `trellis chaos heal catalog-1` starts it again',
    );
    const kill = await control('/chaos', { action: 'kill', replica: 'catalog-1' });
    expect(kill.status).toBe(409);
    expect(((await kill.json()) as { error: { message: string } }).error.message).toBe(
      'catalog-1 is already killed',
    );
  });

  it('heal starts a killed replica again under the same name', async () => {
    const healed = await platform.chaos({ action: 'heal', replica: 'catalog-1' });
    expect(healed).toEqual({
      ok: true,
      replica: 'catalog-1',
      action: 'heal',
      knobs: { latencyMs: 0, errorRate: 0, hang: false },
    });
    const status = await replica('catalog-1');
    expect(status).toMatchObject({ state: 'running', restarts: 1 });
    expect(isAlive(status.pid!)).toBe(true);
    const leases = await leasesIn(registryDir);
    expect(leases.filter((lease) => lease.metadata?.['replica'] === 'catalog-1')).toEqual([
      expect.objectContaining({ pid: status.pid }),
    ]);
    expect(readFileSync(status.logFile, 'utf8')).toMatch(/--- started again at /);
  });

  it('reports a replica that exits on its own, with its exit and the end of its log, and keeps the rest running', async () => {
    const victim = await replica('payments-2');
    process.kill(victim.pid!, 'SIGKILL');
    const exited = await waitFor(async () => {
      const now = await replica('payments-2');
      return now.state === 'exited' ? now : undefined;
    }, 'payments-2 to be reported as exited');
    expect(exited).toMatchObject({ pid: null, exitCode: null, exitSignal: 'SIGKILL' });
    expect(exited.lastLines!.join('\n')).toMatch(/payments is up/);
    const event = events.find((candidate) => candidate.type === 'replica-exited');
    expect(event).toMatchObject({ replica: 'payments-2', signal: 'SIGKILL' });
    expect(event!.message).toMatch(/^payments-2 exited on SIGKILL; its log: .*payments-2\.log$/);
    expect((await replica('payments-1')).state).toBe('running');
    expect((await leasesIn(registryDir)).some((lease) => lease.pid === victim.pid)).toBe(false);

    await platform.chaos({ action: 'heal', replica: 'payments-2' });
    expect(await replica('payments-2')).toMatchObject({ state: 'running', restarts: 1 });
  });
});

describe('scale', () => {
  it('starts new replicas with the next numbers, and stops the highest-numbered ones', async () => {
    const up = await control('/scale', { service: 'catalog', replicas: 4 });
    expect(up.status).toBe(200);
    const upStatus = (await up.json()) as PlatformStatus;
    const catalog = upStatus.services.find((service) => service.service === 'catalog')!.replicas;
    expect(catalog.map((entry) => [entry.replica, entry.state])).toEqual([
      ['catalog-1', 'running'],
      ['catalog-2', 'running'],
      ['catalog-3', 'running'],
      ['catalog-4', 'running'],
    ]);
    expect(
      (await leasesIn(registryDir)).filter((lease) => lease.service === 'catalog'),
    ).toHaveLength(4);

    const leaving = catalog.slice(1).map((entry) => entry.pid!);
    const down = await platform.scale('catalog', 1);
    expect(
      down.services
        .find((service) => service.service === 'catalog')!
        .replicas.map((entry) => entry.replica),
    ).toEqual(['catalog-1']);
    for (const pid of leaving) expect(isAlive(pid)).toBe(false);
    expect(
      (await leasesIn(registryDir)).filter((lease) => lease.service === 'catalog'),
    ).toHaveLength(1);
  });
});

describe('load', () => {
  it('forwards the rate and mix to the loadgen and answers its report', async () => {
    const answer = await control('/load', { rps: 2, mix: 'browse=1' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ rps: 2, mix: 'browse=1,cart=0,checkout=0' });
    const paused = await platform.setLoad(0);
    expect(paused).toMatchObject({ rps: 0, mix: 'browse=1,cart=0,checkout=0' });
    expect((await platform.status()).load).toMatchObject({ rps: 0 });
  });

  it('passes on the loadgen refusing a mix', async () => {
    const answer = await control('/load', { rps: 2, mix: 'browse=1,search=1' });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(
      /^mix: "search" is not a journey/,
    );
  });
});

describe('the control API refuses bad requests', () => {
  it.each([
    ['/scale', { service: 'catalog' }, 'replicas: give a number of replicas from 1 to 10'],
    [
      '/scale',
      { service: 'catalog', replicas: 0 },
      'replicas: give a number of replicas from 1 to 10',
    ],
    [
      '/scale',
      { service: 'catalog', replicas: 11 },
      'replicas: give a number of replicas from 1 to 10',
    ],
    [
      '/scale',
      { service: 'catalog', replicas: 2.5 },
      'replicas: give a whole number of replicas from 1 to 10',
    ],
    [
      '/scale',
      { service: 'catalog', replicas: '3' },
      'replicas: give a number of replicas from 1 to 10',
    ],
    [
      '/scale',
      { service: 'search', replicas: 2 },
      'service: use one of storefront, catalog, cart, checkout, payments, shipping, loadgen',
    ],
    ['/scale', { service: 'catalog', replicas: 2, zone: 'a' }, 'body: unknown field "zone"'],
    ['/scale', [1], 'body: Invalid input: expected object, received array'],
    ['/chaos', { replica: 'catalog-1' }, 'action: use one of kill, slow, fail, hang, heal'],
    [
      '/chaos',
      { action: 'explode', replica: 'catalog-1' },
      'action: use one of kill, slow, fail, hang, heal',
    ],
    ['/chaos', { action: 'kill' }, 'replica: give the replica\'s name, like "catalog-1"'],
    [
      '/chaos',
      { action: 'slow', replica: 'catalog-1' },
      'latencyMs: give the added latency in ms, 0 to 60000',
    ],
    [
      '/chaos',
      { action: 'slow', replica: 'catalog-1', latencyMs: -1 },
      'latencyMs: give the added latency in ms, 0 to 60000',
    ],
    [
      '/chaos',
      { action: 'slow', replica: 'catalog-1', latencyMs: '300ms' },
      'latencyMs: give the added latency in ms, 0 to 60000',
    ],
    [
      '/chaos',
      { action: 'fail', replica: 'catalog-1', errorRate: 50 },
      'errorRate: give the share of requests to fail, from 0 to 1',
    ],
    [
      '/chaos',
      { action: 'fail', replica: 'catalog-1' },
      'errorRate: give the share of requests to fail, from 0 to 1',
    ],
    [
      '/chaos',
      { action: 'kill', replica: 'catalog-1', latencyMs: 5 },
      'body: unknown field "latencyMs"',
    ],
    ['/chaos', 'null', 'body: send a JSON object'],
    ['/load', {}, 'rps: give journeys per second, 0 (paused) to 1000'],
    ['/load', { rps: 1001 }, 'rps: give journeys per second, 0 (paused) to 1000'],
    [
      '/load',
      { rps: 5, mix: 7 },
      'mix: give the mix as text, like "browse=70,cart=20,checkout=10"',
    ],
    ['/load', { rps: 5, burst: true }, 'body: unknown field "burst"'],
  ])('POST %s %j answers 400: %s', async (path, body, message) => {
    const answer = await control(path, body);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: { code: 'ERR_BAD_REQUEST', message } });
  });

  it('answers 400 to malformed JSON', async () => {
    const answer = await control('/chaos', '{"action":');
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      'ERR_MALFORMED_BODY',
    );
  });

  it('answers 404 naming the known replicas for an unknown one', async () => {
    const answer = await control('/chaos', { action: 'kill', replica: 'catalog-9' });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      error: {
        code: 'ERR_NO_SUCH_REPLICA',
        message:
          'no replica "catalog-9"; the replicas are catalog-1, payments-1, payments-2, shipping-1, loadgen-1',
      },
    });
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const missing = await control('/restart', {});
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /no route \/restart; the control API has GET \/status, POST \/scale/,
    );
    const wrong = await control('/status', {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('refuses the same bad input through the programmatic API', async () => {
    await expect(platform.scale('catalog', 0)).rejects.toThrow(
      'replicas: give a number of replicas from 1 to 10',
    );
    await expect(platform.chaos({ action: 'heal', replica: 'cart-1' })).rejects.toThrow(
      /no replica "cart-1"/,
    );
    await expect(platform.setLoad(-1)).rejects.toThrow(/rps: give journeys per second/);
  });
});

describe('stop', () => {
  it('stops every replica, leaves no lease and removes launcher.json', async () => {
    const pids = (await platform.status()).services.flatMap((service) =>
      service.replicas.map((entry) => entry.pid).filter((pid): pid is number => pid !== null),
    );
    expect(pids).toHaveLength(5);
    await platform.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(await leasesIn(registryDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'launcher.json'))).toBe(false);
    const stoppedOrder = events
      .filter((event) => event.type === 'replica-stopping')
      .map((event) => event.replica);
    expect(stoppedOrder.slice(-5)[0]).toBe('loadgen-1');
    expect(events.at(-1)).toEqual({ type: 'stopped', message: 'every replica has stopped' });
    await expect(fetch(`${platform.controlUrl}/status`)).rejects.toThrow();
    await expect(platform.scale('catalog', 2)).rejects.toThrow('the platform is stopping');
  });
});
