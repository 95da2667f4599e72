import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLibraries } from './support/build.js';
import { httpGet } from './support/http-get.js';
import { sleep, waitFor } from './support/loopback.js';
import { killAllServices, startService } from './support/service-process.js';

// Real processes: the fixture service imports the built libraries, gets real signals, and exits.
beforeAll(buildLibraries, 120_000);

const dirs: string[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await killAllServices();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function registryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-express-drain-'));
  dirs.push(dir);
  return dir;
}

/** The lease files callers read (a write cut short by the forced exit may leave a dot-temp file). */
const leases = async (dir: string): Promise<string[]> =>
  (await readdir(join(dir, 'work')).catch(() => [] as string[])).filter((name) =>
    name.endsWith('.json'),
  );

async function inFlight(url: string): Promise<number> {
  const view = JSON.parse((await httpGet(`${url}/mesh`)).body) as { inFlight: number };
  // Minus the /mesh request itself.
  return view.inFlight - 1;
}

describe('graceful drain of a real process', () => {
  it('SIGTERM: readiness fails, the lease goes, in-flight slow requests finish with 200, exit 0', async () => {
    const dir = await registryDir();
    const service = await startService({ TRELLIS_REGISTRY_DIR: dir, DRAIN_DELAY_MS: '500' });
    expect(await leases(dir)).toEqual([`${service.instanceId}.json`]);
    expect((await httpGet(`${service.url}/readyz`)).status).toBe(200);

    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const slow = [
      httpGet(`${service.url}/slow?ms=1200`, agent),
      httpGet(`${service.url}/slow?ms=1200`, agent),
      httpGet(`${service.url}/slow?ms=1200`),
    ];
    await waitFor(async () => (await inFlight(service.url)) === 3, 'three slow requests in flight');

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await waitFor(
      async () => (await httpGet(`${service.url}/readyz`)).status === 503,
      '/readyz to fail',
      400,
    );
    await waitFor(async () => (await leases(dir)).length === 0, 'the lease to be removed', 400);

    const answers = await Promise.all(slow);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    // Kept-alive clients are told to go.
    expect(answers.map((answer) => answer.headers['connection'])).toEqual([
      'close',
      'close',
      'close',
    ]);

    expect(await service.exited).toBe(0);
    const drainMs = Date.now() - signalledAt;
    expect(drainMs).toBeGreaterThanOrEqual(1_000);
    expect(drainMs).toBeLessThan(5_000);
    const logs = service.logs();
    for (const step of [
      'Received SIGTERM: draining before exit',
      'Drain step 1',
      'Drain step 2',
      'Drain step 3',
      'Drain step 4',
      'shutdown hook ran',
      'Drain complete: exiting with code 0',
    ]) {
      expect(logs).toContain(step);
    }
    await expect(httpGet(`${service.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a second SIGTERM during the drain forces a fast exit with code 1', async () => {
    const dir = await registryDir();
    const service = await startService({ TRELLIS_REGISTRY_DIR: dir, DRAIN_DELAY_MS: '5000' });
    const stuck = httpGet(`${service.url}/slow?ms=20000`).catch((error: Error) => error);
    await waitFor(async () => (await inFlight(service.url)) === 1, 'the slow request in flight');

    service.child.kill('SIGTERM');
    await waitFor(
      async () => (await httpGet(`${service.url}/readyz`)).status === 503,
      '/readyz to fail',
    );
    const secondAt = Date.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(1);
    expect(Date.now() - secondAt).toBeLessThan(1_000);
    expect(service.logs()).toContain(
      'Received SIGTERM again while draining: exiting now with code 1',
    );
    expect(await stuck).toBeInstanceOf(Error);
    expect(await leases(dir)).toEqual([]);
  });

  it('SIGINT drains the same way', async () => {
    const dir = await registryDir();
    const service = await startService({ TRELLIS_REGISTRY_DIR: dir, DRAIN_DELAY_MS: '100' });
    await sleep(50);
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(0);
    expect(service.logs()).toContain('Received SIGINT: draining before exit');
    expect(await leases(dir)).toEqual([]);
  });
});
