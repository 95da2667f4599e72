import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMesh, LocalRegistry } from '@trellis/mesh';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLibraries } from './support/build.js';
import { captureLogger, type LogEntry } from './support/capture-logger.js';
import { sleep, waitFor } from './support/loopback.js';
import { killAllServices, startService, type ServiceProcess } from './support/service-process.js';

beforeAll(buildLibraries, 120_000);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await killAllServices();
});

const REPLICAS = 3;
const INTERVAL_MS = 10; // 100 requests per second
const MAX_REQUESTS = 3_000;

interface RollingResult {
  sent: number;
  succeeded: number;
  failures: string[];
  elapsedMs: number;
  exitCodes: (number | NodeJS.Signals)[];
  servedBy: Map<string, number>;
  servedByReplacements: number;
  retries: string[];
  meshErrors: LogEntry[];
}

/**
 * Three replicas registered in one directory, a caller in this process under steady load, and
 * each replica in turn stopped with `stopSignal` while a replacement starts; the next goes once
 * the caller sees the replacement.
 */
async function rollingRestart(
  stopSignal: 'SIGTERM' | 'SIGKILL',
  callerRetries: boolean,
): Promise<RollingResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-express-rolling-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const env = { TRELLIS_REGISTRY_DIR: dir, DRAIN_DELAY_MS: '300' };
  const replicas: ServiceProcess[] = await Promise.all(
    Array.from({ length: REPLICAS }, () => startService(env)),
  );

  const registry = new LocalRegistry({ dir });
  const meshLog = captureLogger();
  // Round robin, so every replica carries load up to its stop and each replacement takes load as
  // soon as it is discovered (peak-EWMA would keep a new, unmeasured replica idle at this load).
  const mesh = createMesh({
    discovery: registry,
    logger: meshLog,
    defaults: { balancer: 'round-robin', ...(!callerRetries && { retries: false }) },
  });
  cleanups.push(async () => {
    await mesh.close({ force: true });
    await registry.close();
  });
  const client = mesh.client('work');
  const retries: string[] = [];
  mesh.onEvent((event) => {
    if (event.type === 'retry') retries.push(event.reason);
  });
  const eligiblePorts = (): number[] =>
    (mesh.snapshot().find((upstream) => upstream.name === 'work')?.endpoints ?? [])
      .filter((endpoint) => endpoint.eligible)
      .map((endpoint) => endpoint.port);
  await client.json({ path: '/work' });
  await waitFor(() => eligiblePorts().length === REPLICAS, 'the caller to see every replica');

  // Steady load: one GET every 10 ms, each counted as it settles.
  let sent = 0;
  let succeeded = 0;
  const failures: string[] = [];
  const servedBy = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const fire = async (): Promise<void> => {
    try {
      const response = await client.request({ path: '/work' });
      const body = (await response.body.json()) as { instance?: string };
      if (response.statusCode !== 200) {
        failures.push(`status ${response.statusCode}`);
        return;
      }
      succeeded += 1;
      const instance = body.instance ?? 'unknown';
      servedBy.set(instance, (servedBy.get(instance) ?? 0) + 1);
    } catch (error) {
      failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  };
  const startedAt = Date.now();
  const load = setInterval(() => {
    if (sent >= MAX_REQUESTS) return;
    sent += 1;
    const request = fire();
    pending.add(request);
    void request.finally(() => pending.delete(request));
  }, INTERVAL_MS);

  const exitCodes: (number | NodeJS.Signals)[] = [];
  try {
    await sleep(500);
    for (let index = 0; index < REPLICAS; index++) {
      const old = replicas[index] as ServiceProcess;
      old.child.kill(stopSignal);
      const replacement = await startService(env);
      replicas[index] = replacement;
      await waitFor(
        () => eligiblePorts().includes(replacement.port),
        'the caller to see the replacement',
      );
      exitCodes.push(await old.exited);
    }
    await sleep(500);
  } finally {
    clearInterval(load);
  }
  await Promise.all(pending);
  const elapsedMs = Date.now() - startedAt;

  const replacements = new Set(replicas.map((replica) => replica.instanceId));
  const servedByReplacements = [...servedBy]
    .filter(([instance]) => replacements.has(instance))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    sent,
    succeeded,
    failures,
    elapsedMs,
    exitCodes,
    servedBy,
    servedByReplacements,
    retries,
    meshErrors: meshLog.entries.filter((entry) => entry.level === 'error'),
  };
}

function summary(label: string, result: RollingResult): string {
  const rate = Math.round((result.sent / result.elapsedMs) * 1000);
  const reasons = [...new Set(result.retries)].join(', ');
  return (
    `${label}: ${result.sent} requests in ${result.elapsedMs} ms (${rate}/s), ` +
    `${result.succeeded} succeeded, ${result.failures.length} failed; ` +
    `${result.servedBy.size} instances served, ${result.servedByReplacements} requests by the replacements; ` +
    `${result.retries.length} mesh retries${reasons ? ` (${reasons})` : ''}`
  );
}

describe('rolling restart', () => {
  it('replaces every replica (SIGTERM, graceful drain) under steady load with zero failed requests', async () => {
    const result = await rollingRestart('SIGTERM', true);
    console.info(summary('rolling restart', result));

    expect(result.failures).toEqual([]);
    expect(result.succeeded).toBe(result.sent);
    expect(result.meshErrors).toEqual([]);
    expect(result.exitCodes).toEqual([0, 0, 0]);
    expect(result.sent).toBeGreaterThanOrEqual(150);
    expect(result.sent).toBeLessThanOrEqual(MAX_REQUESTS);
    // Six instances took traffic: the three originals, then their replacements.
    expect(result.servedBy.size).toBe(REPLICAS * 2);
    expect(result.servedByReplacements).toBeGreaterThan(0);
  });

  it('control: the same restart with SIGKILL and no caller retries does fail requests', async () => {
    const result = await rollingRestart('SIGKILL', false);
    console.info(summary('control (SIGKILL, no retries)', result));
    expect(result.exitCodes).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    expect(result.failures.length).toBeGreaterThan(0);
  });
});
