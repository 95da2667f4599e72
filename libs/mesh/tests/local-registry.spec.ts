import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Endpoint } from '../src/endpoint.js';
import { MeshConfigError } from '../src/errors.js';
import type { MeshLogger } from '../src/logger.js';
import { isLeaseExpired, parseLease, serializeLease, type Lease } from '../src/resolvers/lease.js';
import { LocalRegistry, type LocalRegistryOptions } from '../src/resolvers/local-registry.js';
import type { Resolver } from '../src/resolvers/resolver.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'registered-instance.mjs');
const SCAN_INTERVAL_MS = 50;

const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-registry-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface LogEntry {
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLogger(): MeshLogger & { warnings: LogEntry[]; infos: LogEntry[] } {
  const warnings: LogEntry[] = [];
  const infos: LogEntry[] = [];
  return {
    warnings,
    infos,
    debug: () => undefined,
    info: (obj, msg) => infos.push({ obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }),
  };
}

function openRegistry(options: LocalRegistryOptions): LocalRegistry {
  const registry = new LocalRegistry({ scanIntervalMs: SCAN_INTERVAL_MS, ...options });
  cleanups.push(() => registry.close());
  return registry;
}

/** Subscribes and keeps every pushed set, newest last. */
function observe(resolver: Resolver): { pushes: (readonly Endpoint[])[]; latest(): Endpoint[] } {
  const pushes: (readonly Endpoint[])[] = [];
  cleanups.push(resolver.subscribe((endpoints) => pushes.push(endpoints)));
  return { pushes, latest: () => [...(pushes.at(-1) ?? [])] };
}

/** Polls until the condition holds; returns the milliseconds it took, fails at the deadline. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function handWrittenLease(overrides: Partial<Lease> & Pick<Lease, 'instanceId'>): Lease {
  return {
    version: 1,
    service: 'catalog',
    address: '127.0.0.1',
    port: 9000,
    pid: process.pid,
    hostname: os.hostname(),
    ttlMs: 60_000,
    renewedAt: Date.now(),
    ...overrides,
  };
}

async function writeLeaseByHand(dir: string, lease: Lease): Promise<string> {
  const file = path.join(dir, lease.service, `${lease.instanceId}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, serializeLease(lease));
  return file;
}

interface SpawnedInstance {
  child: ChildProcess;
  instanceId: string;
  port: number;
  exited: Promise<number | null>;
}

async function spawnInstance(
  dir: string,
  service: string,
  ttlMs: number,
  zone: string,
): Promise<SpawnedInstance> {
  const child = spawn(process.execPath, [FIXTURE, dir, service, String(ttlMs), zone], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('READY '));
      if (line) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
  const [, instanceId = '', port = ''] = ready.split(' ');
  return { child, instanceId, port: Number(port), exited };
}

describe('LocalRegistry', () => {
  it('removes temp files abandoned by a writer that died mid-write, and leaves fresh ones', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'catalog'), { recursive: true });
    const abandoned = path.join(dir, 'catalog', '.catalog-0123456789ab.4242.deadbeef.tmp');
    const fresh = path.join(dir, 'catalog', '.catalog-0123456789ab.4243.feedbeef.tmp');
    await writeFile(abandoned, '{"half":');
    await writeFile(fresh, '{"half":');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(abandoned, anHourAgo, anHourAgo);
    const registry = openRegistry({ dir, logger: recordingLogger() });
    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => !existsSync(abandoned));
    expect(existsSync(fresh)).toBe(true);
    expect(seen.latest()).toEqual([]);
  });

  it('discovers two registrations in one process with address, port, zone and metadata', async () => {
    const dir = await tempDir();
    const registry = openRegistry({ dir, logger: recordingLogger() });
    const first = await registry.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: 8081,
      zone: 'eu-west-1a',
      metadata: { version: 'v1' },
    });
    const second = await registry.register({
      service: 'catalog',
      address: '127.0.0.2',
      port: 8082,
      zone: 'eu-west-1b',
      weight: 3,
      metadata: { version: 'v2' },
    });
    const resolver = registry.resolverFor('catalog');
    const seen = observe(resolver);

    await waitFor(() => seen.latest().length === 2);
    expect(seen.latest()).toEqual([
      { address: '127.0.0.1', port: 8081, zone: 'eu-west-1a', metadata: { version: 'v1' } },
      {
        address: '127.0.0.2',
        port: 8082,
        zone: 'eu-west-1b',
        weight: 3,
        metadata: { version: 'v2' },
      },
    ]);
    expect(first.instanceId).toMatch(/^catalog-[0-9a-f]{12}$/);
    expect(second.instanceId).not.toBe(first.instanceId);
    expect((await readdir(path.join(dir, 'catalog'))).sort()).toEqual(
      [`${first.instanceId}.json`, `${second.instanceId}.json`].sort(),
    );
    expect(resolver.description).toBe(`local-registry:${path.join(dir, 'catalog')}`);
    expect(registry.description).toBe(`local-registry:${dir}`);
  });

  it('pushes only when the set changes, and a late subscriber gets the current set at once', async () => {
    const dir = await tempDir();
    const registry = openRegistry({ dir, logger: recordingLogger() });
    await registry.register({ service: 'catalog', address: '127.0.0.1', port: 8081 });
    const resolver = registry.resolverFor('catalog');
    const seen = observe(resolver);
    await waitFor(() => seen.latest().length === 1);
    // Heartbeats rewrite the file (watch events) and scans run every 50 ms: still one push.
    await sleep(SCAN_INTERVAL_MS * 6);
    expect(seen.pushes).toHaveLength(1);

    const late: (readonly Endpoint[])[] = [];
    resolver.subscribe((endpoints) => late.push(endpoints));
    expect(late).toEqual([[{ address: '127.0.0.1', port: 8081 }]]);
  });

  it('watch events deliver joins and leaves without waiting for the rescan', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'catalog'));
    const registry = openRegistry({ dir, logger: recordingLogger(), scanIntervalMs: 60_000 });
    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => seen.pushes.length === 1);

    const registration = await registry.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: 8081,
    });
    const joinedAfterMs = await waitFor(() => seen.latest().length === 1, 2_000);
    await registration.deregister();
    const leftAfterMs = await waitFor(() => seen.latest().length === 0, 2_000);
    expect(joinedAfterMs).toBeLessThan(1_000);
    expect(leftAfterMs).toBeLessThan(1_000);
  });

  it('a child process joins, and leaves within 1 s of a clean SIGTERM shutdown', async () => {
    const dir = await tempDir();
    const registry = openRegistry({ dir, logger: recordingLogger() });
    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => seen.pushes.length === 1);
    expect(seen.latest()).toEqual([]);

    const instance = await spawnInstance(dir, 'catalog', 5_000, 'zone-b');
    await waitFor(() => seen.latest().length === 1);
    expect(seen.latest()).toEqual([
      {
        address: '127.0.0.1',
        port: instance.port,
        zone: 'zone-b',
        metadata: { pid: String(instance.child.pid) },
      },
    ]);

    const stoppedAt = performance.now();
    instance.child.kill('SIGTERM');
    await waitFor(() => seen.latest().length === 0, 2_000);
    const leftAfterMs = performance.now() - stoppedAt;
    expect(leftAfterMs).toBeLessThan(1_000);
    expect(await instance.exited).toBe(0);
    expect(await readdir(path.join(dir, 'catalog'))).toEqual([]);
  });

  it('a child killed with SIGKILL disappears within its TTL plus one scan interval', async () => {
    const dir = await tempDir();
    const ttlMs = 3_000;
    const scanIntervalMs = 250;
    const registry = openRegistry({ dir, logger: recordingLogger(), scanIntervalMs });
    const seen = observe(registry.resolverFor('catalog'));
    const instance = await spawnInstance(dir, 'catalog', ttlMs, 'zone-a');
    await waitFor(() => seen.latest().some((endpoint) => endpoint.port === instance.port));

    const killedAt = performance.now();
    instance.child.kill('SIGKILL');
    await waitFor(() => seen.latest().length === 0, ttlMs * 2);
    const goneAfterMs = performance.now() - killedAt;

    expect(goneAfterMs).toBeLessThan(ttlMs + scanIntervalMs);
    // Nothing removed the file: discovery dropped the lease because its process is dead.
    expect(await readdir(path.join(dir, 'catalog'))).toEqual([`${instance.instanceId}.json`]);
  });

  it('a child that exits without deregistering has its lease removed by the exit hook', async () => {
    const dir = await tempDir();
    const instance = await spawnInstance(dir, 'catalog', 60_000, 'zone-a');
    const leaseFile = path.join(dir, 'catalog', `${instance.instanceId}.json`);
    expect(existsSync(leaseFile)).toBe(true);

    instance.child.stdin?.write('exit\n');
    expect(await instance.exited).toBe(0);
    expect(existsSync(leaseFile)).toBe(false);
  });

  it('ignores a lease whose process on this host is dead at once, long before its TTL', async () => {
    const dir = await tempDir();
    const finished = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => finished.once('exit', resolve));
    await writeLeaseByHand(
      dir,
      handWrittenLease({ instanceId: 'dead-1', port: 9001, pid: finished.pid ?? 0 }),
    );
    // Another machine's pid cannot be checked here, so only its TTL counts.
    await writeLeaseByHand(
      dir,
      handWrittenLease({
        instanceId: 'remote-1',
        port: 9002,
        pid: finished.pid ?? 0,
        hostname: 'another-host',
      }),
    );
    await writeLeaseByHand(dir, handWrittenLease({ instanceId: 'alive-1', port: 9003 }));

    const seen = observe(openRegistry({ dir, logger: recordingLogger() }).resolverFor('catalog'));
    await waitFor(() => seen.pushes.length > 0);
    expect(seen.latest().map((endpoint) => endpoint.port)).toEqual([9002, 9003]);
  });

  it('ignores a stale lease written by hand, and deletes one stale by more than 10x its TTL', async () => {
    const dir = await tempDir();
    const now = Date.now();
    const staleFile = await writeLeaseByHand(
      dir,
      handWrittenLease({ instanceId: 'stale-1', port: 9001, ttlMs: 5_000, renewedAt: now - 6_000 }),
    );
    const abandonedFile = await writeLeaseByHand(
      dir,
      handWrittenLease({
        instanceId: 'abandoned-1',
        port: 9002,
        ttlMs: 1_000,
        renewedAt: now - 11_000,
      }),
    );
    await writeLeaseByHand(dir, handWrittenLease({ instanceId: 'fresh-1', port: 9003 }));

    const seen = observe(openRegistry({ dir, logger: recordingLogger() }).resolverFor('catalog'));
    await waitFor(() => seen.pushes.length > 0);
    expect(seen.latest().map((endpoint) => endpoint.port)).toEqual([9003]);
    await waitFor(() => !existsSync(abandonedFile));
    // Stale by 1.2x its TTL only: left for its owner, who may still renew it.
    expect(existsSync(staleFile)).toBe(true);
  });

  it('drops a lease that stops being renewed once its TTL passes, with no file event', async () => {
    const dir = await tempDir();
    const ttlMs = 400;
    await writeLeaseByHand(dir, handWrittenLease({ instanceId: 'once-1', ttlMs }));
    const seen = observe(openRegistry({ dir, logger: recordingLogger() }).resolverFor('catalog'));
    await waitFor(() => seen.latest().length === 1);
    const seenAt = performance.now();

    await waitFor(() => seen.latest().length === 0, ttlMs * 5);
    const goneAfterMs = performance.now() - seenAt;
    expect(goneAfterMs).toBeLessThan(ttlMs + SCAN_INTERVAL_MS * 4);
  });

  it('skips garbage, empty, truncated and wrong-version files with one warning each while good endpoints keep serving', async () => {
    const dir = await tempDir();
    const logger = recordingLogger();
    const registry = openRegistry({ dir, logger });
    await registry.register({ service: 'catalog', address: '127.0.0.1', port: 8081 });
    const serviceDir = path.join(dir, 'catalog');
    const validText = serializeLease(handWrittenLease({ instanceId: 'half-1' }));
    await writeFile(path.join(serviceDir, 'garbage.json'), 'this is not a lease');
    await writeFile(path.join(serviceDir, 'empty.json'), '');
    await writeFile(
      path.join(serviceDir, 'half-1.json'),
      validText.slice(0, Math.floor(validText.length / 2)),
    );
    await writeFile(
      path.join(serviceDir, 'future-1.json'),
      JSON.stringify({ ...handWrittenLease({ instanceId: 'future-1' }), version: 2 }),
    );
    await writeFile(path.join(serviceDir, 'notes.txt'), 'not a lease file name, never read');

    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => seen.latest().length === 1 && logger.warnings.length === 4);
    // A second registration appearing proves later scans ran over the same bad files.
    await registry.register({ service: 'catalog', address: '127.0.0.1', port: 8082 });
    await waitFor(() => seen.latest().length === 2);
    await sleep(SCAN_INTERVAL_MS * 4);

    expect(seen.latest().map((endpoint) => endpoint.port)).toEqual([8081, 8082]);
    const problems = Object.fromEntries(
      logger.warnings.map(({ obj }) => [path.basename(String(obj.file)), String(obj.problem)]),
    );
    expect(logger.warnings).toHaveLength(4);
    expect(problems['garbage.json']).toMatch(/not valid JSON/);
    expect(problems['empty.json']).toBe('the file is empty');
    expect(problems['half-1.json']).toMatch(/not valid JSON, perhaps truncated/);
    expect(problems['future-1.json']).toBe('lease version 2 is not supported (expected 1)');
    for (const { obj, msg } of logger.warnings) {
      expect(msg).toContain(path.basename(String(obj.file)));
      expect(path.dirname(String(obj.file))).toBe(serviceDir);
    }

    // A rewritten bad file is a new problem and warns again.
    await writeFile(path.join(serviceDir, 'garbage.json'), '{"version": 1}');
    await waitFor(() => logger.warnings.length === 5);
    expect(logger.warnings[4]?.obj.problem).toBe('field "service" must be a DNS-label-like name');
  });

  it('an empty or missing directory gives zero endpoints, then picks up the first registration', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'empty-service'));
    const logger = recordingLogger();
    const registry = openRegistry({ dir: path.join(dir, 'not-created-yet'), logger });
    const emptyRegistry = openRegistry({ dir, logger });

    const fromEmpty = observe(emptyRegistry.resolverFor('empty-service'));
    const fromMissing = observe(registry.resolverFor('catalog'));
    await waitFor(() => fromEmpty.pushes.length === 1 && fromMissing.pushes.length === 1);
    expect(fromEmpty.latest()).toEqual([]);
    expect(fromMissing.latest()).toEqual([]);

    await registry.register({ service: 'catalog', address: '127.0.0.1', port: 8081 });
    await waitFor(() => fromMissing.latest().length === 1);
    expect(fromMissing.latest()).toEqual([{ address: '127.0.0.1', port: 8081 }]);
    expect(logger.warnings).toEqual([]);
  });

  it('an unreadable directory warns once, naming the path and what to do, and keeps the last set', async () => {
    const dir = await tempDir();
    const logger = recordingLogger();
    await writeLeaseByHand(dir, handWrittenLease({ instanceId: 'alive-1', port: 9001 }));
    const seen = observe(openRegistry({ dir, logger }).resolverFor('catalog'));
    await waitFor(() => seen.latest().length === 1);

    const serviceDir = path.join(dir, 'catalog');
    await rm(serviceDir, { recursive: true });
    await writeFile(serviceDir, 'a file where the directory should be');
    await waitFor(() => logger.warnings.length === 1);
    await sleep(SCAN_INTERVAL_MS * 4);

    expect(logger.warnings).toHaveLength(1);
    const [warning] = logger.warnings;
    expect(warning?.obj.path).toBe(serviceDir);
    expect(warning?.msg).toContain(serviceDir);
    expect(String(warning?.obj.advice)).toMatch(/remove it, or point TRELLIS_REGISTRY_DIR/);
    expect(seen.pushes).toHaveLength(1);
    expect(seen.latest()).toEqual([{ address: '127.0.0.1', port: 9001 }]);

    // Once the directory is back, discovery resumes.
    await rm(serviceDir);
    await writeLeaseByHand(dir, handWrittenLease({ instanceId: 'alive-2', port: 9002 }));
    await waitFor(() => seen.latest().length === 1 && seen.latest()[0]?.port === 9002);
  });

  it('rejects bad service names, ports and timings with MeshConfigError', async () => {
    const dir = await tempDir();
    const registry = openRegistry({ dir, logger: recordingLogger() });
    const badNames = ['', 'Catalog', '-catalog', 'catalog-', 'cat_alog', '../etc', 'a'.repeat(64)];
    for (const service of badNames) {
      await expect(
        registry.register({ service, address: '127.0.0.1', port: 8080 }),
      ).rejects.toMatchObject({ name: 'MeshConfigError', code: 'ERR_INVALID_SERVICE_NAME' });
      expect(() => registry.resolverFor(service)).toThrow(MeshConfigError);
    }
    expect(() => registry.resolverFor('a'.repeat(63))).not.toThrow();

    for (const port of [0, -1, 65_536, 80.5, Number.NaN]) {
      await expect(
        registry.register({ service: 'catalog', address: '127.0.0.1', port }),
      ).rejects.toMatchObject({ name: 'MeshConfigError', code: 'ERR_INVALID_PORT' });
    }
    await expect(
      registry.register({
        service: 'catalog',
        address: '127.0.0.1',
        port: 80,
        ttlMs: 100,
        heartbeatMs: 100,
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_LEASE_TIMING' });
    const error = await registry
      .register({ service: 'catalog', address: '', port: 80 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MeshConfigError);
    expect((error as MeshConfigError).advice).toMatch(/address/);
    expect(existsSync(path.join(dir, 'catalog'))).toBe(false);
  });

  it('a registry directory that cannot be created fails registration with advice', async () => {
    const dir = await tempDir();
    const blocked = path.join(dir, 'blocked');
    await writeFile(blocked, 'a file, not a directory');
    const registry = openRegistry({ dir: blocked, logger: recordingLogger() });
    await expect(
      registry.register({ service: 'catalog', address: '127.0.0.1', port: 8080 }),
    ).rejects.toMatchObject({ name: 'MeshConfigError', code: 'ERR_REGISTRY_UNWRITABLE' });
  });

  it('close() removes this registry’s leases and stops its resolvers', async () => {
    const dir = await tempDir();
    const registry = new LocalRegistry({ dir, logger: recordingLogger() });
    const neighbour = openRegistry({ dir, logger: recordingLogger() });
    const mine = [
      await registry.register({ service: 'catalog', address: '127.0.0.1', port: 8081 }),
      await registry.register({ service: 'orders', address: '127.0.0.1', port: 8082 }),
    ];
    const theirs = await neighbour.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: 8083,
    });
    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => seen.latest().length === 2);

    await registry.close();

    expect(await readdir(path.join(dir, 'catalog'))).toEqual([`${theirs.instanceId}.json`]);
    expect(await readdir(path.join(dir, 'orders'))).toEqual([]);
    await mine[0]?.deregister();
    await theirs.deregister();
    await sleep(SCAN_INTERVAL_MS * 4);
    expect(seen.latest().length).toBe(2);
    expect(() => registry.resolverFor('catalog')).toThrow(/has been closed/);
  });

  it('the heartbeat renews the lease; a failed renewal is logged, not thrown, and retried', async () => {
    const dir = await tempDir();
    const logger = recordingLogger();
    const registry = openRegistry({ dir, logger });
    const registration = await registry.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: 8081,
      ttlMs: 600,
      heartbeatMs: 50,
    });
    const readLease = async () =>
      parseLease(await readFile(registration.file, 'utf8').catch(() => '')).lease;
    const firstRenewedAt = (await readLease())?.renewedAt ?? 0;
    await waitFor(async () => ((await readLease())?.renewedAt ?? 0) > firstRenewedAt);

    const serviceDir = path.join(dir, 'catalog');
    await rm(serviceDir, { recursive: true });
    await writeFile(serviceDir, 'in the way');
    await waitFor(() => logger.warnings.length >= 2);
    expect(logger.warnings[0]?.msg).toBe('Could not renew the lease file');
    expect(logger.warnings[0]?.obj.file).toBe(registration.file);
    expect(logger.warnings[1]?.obj.failedRenewals).toBe(2);

    await rm(serviceDir);
    await waitFor(() => existsSync(registration.file));
    await waitFor(() => logger.infos.some(({ msg }) => msg === 'Lease renewal succeeded again'));
    expect((await readLease())?.instanceId).toBe(registration.instanceId);
  });

  it('setDraining rewrites the lease and resolvers see the endpoint draining', async () => {
    const dir = await tempDir();
    const registry = openRegistry({ dir, logger: recordingLogger() });
    const registration = await registry.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: 8081,
    });
    const seen = observe(registry.resolverFor('catalog'));
    await waitFor(() => seen.latest().length === 1);

    await registration.setDraining(true);
    expect(parseLease(await readFile(registration.file, 'utf8')).lease?.draining).toBe(true);
    await waitFor(() => seen.latest()[0]?.draining === true);

    await registration.setDraining(false);
    await waitFor(() => seen.latest()[0]?.draining === undefined);
    await registration.deregister();
    await registration.deregister();
    await waitFor(() => seen.latest().length === 0);
  });

  it('defaults the directory to TRELLIS_REGISTRY_DIR', async () => {
    const dir = await tempDir();
    vi.stubEnv('TRELLIS_REGISTRY_DIR', dir);
    cleanups.push(() => vi.unstubAllEnvs());
    expect(new LocalRegistry().dir).toBe(dir);
    vi.stubEnv('TRELLIS_REGISTRY_DIR', '');
    expect(new LocalRegistry().dir).toBe(path.join(os.tmpdir(), 'trellis-registry'));
  });
});

describe('lease format', () => {
  it('expires strictly after renewedAt + ttlMs', () => {
    const lease = { renewedAt: 10_000, ttlMs: 5_000 };
    expect(isLeaseExpired(lease, 15_000)).toBe(false);
    expect(isLeaseExpired(lease, 15_001)).toBe(true);
  });

  it('round-trips a lease and names the first wrong field of a bad one', () => {
    const lease = handWrittenLease({ instanceId: 'catalog-1', zone: 'a', metadata: { v: '1' } });
    expect(parseLease(serializeLease(lease)).lease).toEqual(lease);
    expect(parseLease('[]').problem).toBe('the JSON is not an object');
    expect(parseLease(JSON.stringify({ ...lease, port: 70_000 })).problem).toBe(
      'field "port" must be an integer from 1 to 65535',
    );
    expect(parseLease(JSON.stringify({ ...lease, metadata: { v: 1 } })).problem).toBe(
      'field "metadata" must be an object of string values',
    );
    expect(parseLease(JSON.stringify({ ...lease, instanceId: '../x' })).problem).toBe(
      'field "instanceId" must be a file-name-safe id',
    );
  });
});
