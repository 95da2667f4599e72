import { createServer as createTcpServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalRegistry, MeshOptions } from '@trellis/mesh';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardView, EdgeView, EndpointRow } from '../src/dashboard/dashboard-view.js';
import { LauncherClient } from '../src/dashboard/launcher-client.js';
import { MeshCollector } from '../src/dashboard/mesh-collector.js';
import {
  Backend,
  Caller,
  FakeLauncher,
  freePort,
  ReplicaProcess,
  TestRegistry,
  waitFor,
} from './dashboard-fixtures.js';

// Every reading between two collections falls in the window: counts are exact, not sampled.
const WINDOW_MS = 60_000;

let registry: TestRegistry;
let cleanups: (() => Promise<unknown>)[];

beforeEach(async () => {
  registry = await TestRegistry.create();
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await registry.remove();
});

function track<T extends { stop(): Promise<void> }>(thing: T): T {
  cleanups.push(() => thing.stop());
  return thing;
}

function collector(
  services: readonly string[],
  extra: { launcher?: LauncherClient; fetchTimeoutMs?: number } = {},
): MeshCollector {
  const discovery: LocalRegistry = registry.open();
  const made = new MeshCollector({
    discovery,
    services,
    logger: pino({ level: 'silent' }),
    windowMs: WINDOW_MS,
    ...extra,
  });
  cleanups.push(async () => {
    await made.close();
    await discovery.close();
  });
  return made;
}

function edge(view: DashboardView, id: string): EdgeView {
  const found = view.edges.find((candidate) => `${candidate.caller}->${candidate.upstream}` === id);
  if (!found)
    throw new Error(
      `no edge ${id} in ${view.edges.map((e) => e.caller + '->' + e.upstream).join(', ')}`,
    );
  return found;
}

function rows(view: DashboardView, upstream: string): EndpointRow[] {
  return view.upstreams.find((card) => card.upstream === upstream)?.endpoints ?? [];
}

function row(view: DashboardView, upstream: string, replica: string): EndpointRow {
  const found = rows(view, upstream).find((candidate) => candidate.replica === replica);
  if (!found) throw new Error(`no row ${replica} in the ${upstream} card`);
  return found;
}

/** Plain balancing without ejection or breaking: the numbers are the calls, nothing else. */
const PLAIN: MeshOptions['upstreams'] = {
  catalog: { balancer: 'round-robin', outlierDetection: false, breaker: false, retries: false },
};

describe('MeshCollector against real meshes', () => {
  it('sums calls, failures, rates and quantiles per edge over the callers, and splits shares by endpoint', async () => {
    const backends = [
      track(await Backend.start(registry, 'catalog', 'catalog-1')),
      track(await Backend.start(registry, 'catalog', 'catalog-2')),
    ];
    for (const backend of backends) backend.behaviour.latencyMs = 5;
    const first = track(await Caller.start(registry, 'storefront', 'storefront-1', PLAIN));
    const second = track(await Caller.start(registry, 'storefront', 'storefront-2', PLAIN));
    // The meshes create the upstream on the first call; before it there is nothing to read.
    await first.call('catalog', { count: 2 });
    await second.call('catalog', { count: 2 });
    const dashboard = collector(['storefront', 'catalog']);

    const started = Date.now();
    await dashboard.collect();
    const baselineDone = Date.now();
    expect(await first.call('catalog', { count: 30, concurrency: 3 })).toEqual(Array(30).fill(200));
    expect(await second.call('catalog', { count: 20, concurrency: 2 })).toEqual(
      Array(20).fill(200),
    );
    for (const backend of backends) backend.behaviour.status = 500;
    expect(await first.call('catalog', { count: 10, method: 'POST' })).toEqual(Array(10).fill(500));
    const lastStarted = Date.now();
    const view = await dashboard.collect();
    const finished = Date.now();

    const calls = edge(view, 'storefront->catalog');
    expect(calls).toMatchObject({ calls: 60, failed: 10, breaker: 'off', panic: false });
    expect(calls.errorRate).toBeCloseTo(10 / 60, 3);
    expect(calls.health).toBe('failing');
    // Each replica's rate is its calls over its own window, which lies between these two spans.
    expect(calls.requestsPerSecond).toBeGreaterThanOrEqual(
      60 / ((finished - started) / 1000) - 0.01,
    );
    expect(calls.requestsPerSecond).toBeLessThanOrEqual(
      60 / ((lastStarted - baselineDone) / 1000) + 0.01,
    );
    expect(calls.p50Ms).toBeGreaterThanOrEqual(4);
    expect(calls.p99Ms).toBeGreaterThanOrEqual(calls.p50Ms!);
    expect(calls.p99Ms).toBeLessThan(5_000);
    expect(view.totals.requestsPerSecond).toBe(calls.requestsPerSecond);
    expect(view.totals.errorsPerSecond).toBeCloseTo(calls.requestsPerSecond * calls.errorRate, 1);

    // Round-robin in each caller: 40 and 20 calls split evenly between the two replicas.
    expect(rows(view, 'catalog').map((r) => [r.replica, r.state, r.share, r.seenBy])).toEqual([
      ['catalog-1', 'healthy', 0.5, 2],
      ['catalog-2', 'healthy', 0.5, 2],
    ]);
    expect(view.upstreams.map((card) => [card.upstream, card.callers])).toEqual([
      ['catalog', ['storefront']],
    ]);
    expect(view.services).toEqual([
      { service: 'storefront', depth: 0, replicas: 2, up: 2, unreachable: 0 },
      { service: 'catalog', depth: 1, replicas: 2, up: 2, unreachable: 0 },
    ]);
    expect(view.instances.map((i) => [i.service, i.replica, i.reachable, i.ready])).toEqual([
      ['catalog', 'catalog-1', true, true],
      ['catalog', 'catalog-2', true, true],
      ['storefront', 'storefront-1', true, true],
      ['storefront', 'storefront-2', true, true],
    ]);
    expect(view.totals).toMatchObject({ replicasUp: 4, replicasTotal: 4 });
    expect(view.launcher).toBeNull();
  });

  it('gives a slow replica a small share under peak-EWMA, and shows its higher latency estimate', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const slow = track(await Backend.start(registry, 'catalog', 'catalog-2'));
    slow.behaviour.latencyMs = 150;
    const caller = track(await Caller.start(registry, 'storefront', 'storefront-1'));
    await caller.call('catalog', { count: 4 });
    const dashboard = collector(['storefront', 'catalog']);
    await dashboard.collect();
    expect(await caller.call('catalog', { count: 40 })).toEqual(Array(40).fill(200));
    const view = await dashboard.collect();

    const fast = row(view, 'catalog', 'catalog-1');
    const slowRow = row(view, 'catalog', 'catalog-2');
    expect(fast.share).toBeGreaterThan(0.8);
    expect(slowRow.share).toBeLessThan(0.2);
    expect(fast.share + slowRow.share).toBeCloseTo(1, 2);
    expect(slowRow.ewmaMs).toBeGreaterThan(fast.ewmaMs!);
    expect(fast.sentPerSecond).toBeGreaterThan(slowRow.sentPerSecond);
    expect(edge(view, 'storefront->catalog')).toMatchObject({ calls: 40, failed: 0, health: 'ok' });
  });

  it('shows a replica that keeps answering 503 as ejected, and the decisions that led there', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const failing = track(await Backend.start(registry, 'catalog', 'catalog-2'));
    failing.behaviour.status = 503;
    const caller = track(
      await Caller.start(registry, 'storefront', 'storefront-1', {
        catalog: { balancer: 'round-robin', breaker: false },
      }),
    );
    await caller.call('catalog', { count: 1 });
    const dashboard = collector(['storefront', 'catalog']);
    await dashboard.collect();
    // GETs that hit the failing replica are retried on the other one, so every call succeeds.
    expect(await caller.call('catalog', { count: 20 })).toEqual(Array(20).fill(200));
    const view = await dashboard.collect();

    expect(row(view, 'catalog', 'catalog-2')).toMatchObject({
      state: 'ejected',
      ejectedBy: 1,
      seenBy: 1,
    });
    expect(row(view, 'catalog', 'catalog-1')).toMatchObject({ state: 'healthy', ejectedBy: 0 });
    expect(row(view, 'catalog', 'catalog-1').share).toBeGreaterThan(0.5);

    const ejections = view.decisions.filter((decision) => decision.type === 'eject');
    expect(ejections).toHaveLength(1);
    expect(ejections[0]).toMatchObject({
      caller: 'storefront',
      callerReplica: 'storefront-1',
      upstream: 'catalog',
      replica: 'catalog-2',
    });
    expect(ejections[0]!.detail).toMatch(/^ejected catalog-2 for \d+(\.\d)? s \(/);
    expect(view.decisions.some((d) => d.type === 'retry' && d.replica === 'catalog-2')).toBe(true);
    const times = view.decisions.map((decision) => decision.at);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(view.decisions.length).toBeLessThanOrEqual(50);

    // The next reading repeats the same events: they are not counted twice.
    const again = await dashboard.collect();
    expect(again.decisions.filter((decision) => decision.type === 'eject')).toHaveLength(1);
    expect(new Set(again.decisions.map((d) => d.id)).size).toBe(again.decisions.length);
  });

  it('drops a SIGKILLed replica from the view once discovery lets it go', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const doomed = await ReplicaProcess.start(registry, 'catalog', 'catalog-3');
    cleanups.push(() => doomed.kill());
    const caller = track(await Caller.start(registry, 'storefront', 'storefront-1', PLAIN));
    await caller.call('catalog', { count: 4 });
    const dashboard = collector(['storefront', 'catalog']);
    const before = await dashboard.collect();
    expect(before.instances.find((i) => i.replica === 'catalog-3')).toMatchObject({
      reachable: true,
      ready: true,
    });
    expect(rows(before, 'catalog').map((r) => r.replica)).toEqual(['catalog-1', 'catalog-3']);

    await doomed.kill();
    const after = await waitFor('catalog-3 to leave the view', async () => {
      const view = await dashboard.collect();
      const gone =
        !view.instances.some((i) => i.replica === 'catalog-3') &&
        !rows(view, 'catalog').some((r) => r.replica === 'catalog-3');
      return gone ? view : undefined;
    });
    expect(after.instances.map((i) => i.replica)).toEqual(['catalog-1', 'storefront-1']);
    expect(rows(after, 'catalog').map((r) => r.replica)).toEqual(['catalog-1']);
    expect(after.services.find((node) => node.service === 'catalog')).toMatchObject({
      replicas: 1,
      up: 1,
    });
  });

  it('marks instances that refuse connections or never answer as unreachable, and carries on', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const leases = registry.open();
    cleanups.push(() => leases.close());
    await leases.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: await freePort(),
      metadata: { replica: 'catalog-8' },
    });
    // Accepts connections and never says a word.
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const silentPort = (silent.address() as { port: number }).port;
    await leases.register({
      service: 'catalog',
      address: '127.0.0.1',
      port: silentPort,
      metadata: { replica: 'catalog-9' },
    });
    const dashboard = collector(['catalog'], { fetchTimeoutMs: 300 });

    const view = await dashboard.collect();
    const byReplica = new Map(view.instances.map((i) => [i.replica, i]));
    expect(byReplica.get('catalog-1')).toMatchObject({ reachable: true, error: null });
    expect(byReplica.get('catalog-8')).toMatchObject({
      reachable: false,
      ready: false,
      error: 'connection refused',
    });
    expect(byReplica.get('catalog-9')).toMatchObject({
      reachable: false,
      error: 'no answer within 300 ms',
      key: `127.0.0.1:${silentPort}`,
    });
    expect(view.services).toEqual([
      { service: 'catalog', depth: 0, replicas: 3, up: 1, unreachable: 2 },
    ]);
    expect(view.totals).toMatchObject({ replicasUp: 1, replicasTotal: 3 });
  });

  it('starts a fresh history when an instance restarts at the same address, never diffing across processes', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const original = await Caller.start(registry, 'storefront', 'storefront-1', PLAIN);
    let current = original;
    cleanups.push(() => current.stop());
    await original.call('catalog', { count: 5 });
    const dashboard = collector(['storefront', 'catalog']);
    await dashboard.collect();
    await original.call('catalog', { count: 10 });
    expect(edge(await dashboard.collect(), 'storefront->catalog').calls).toBe(10);

    // Same address and port, new process: a new instance id and counters from zero.
    const port = original.port;
    await original.stop();
    current = await Caller.start(registry, 'storefront', 'storefront-1', PLAIN, port);
    await current.call('catalog', { count: 3 });
    const restarted = await waitFor('the new instance to answer', async () => {
      const view = await dashboard.collect();
      const instance = view.instances.find((i) => i.replica === 'storefront-1');
      return instance?.instance === current.registration.instanceId ? view : undefined;
    });
    // Its first reading has nothing of its own to diff against: no rate, and nothing negative.
    expect(edge(restarted, 'storefront->catalog')).toMatchObject({ calls: 0, failed: 0 });

    await current.call('catalog', { count: 7 });
    const view = await dashboard.collect();
    expect(edge(view, 'storefront->catalog')).toMatchObject({ calls: 7, failed: 0 });
    expect(row(view, 'catalog', 'catalog-1').share).toBe(1);
  });

  it('joins the launcher status: knobs on live replicas, rows for killed ones', async () => {
    track(await Backend.start(registry, 'catalog', 'catalog-1'));
    const caller = track(await Caller.start(registry, 'storefront', 'storefront-1', PLAIN));
    await caller.call('catalog', { count: 3 });
    const launcher = await FakeLauncher.start();
    let launcherUp = true;
    cleanups.push(() => (launcherUp ? launcher.stop() : Promise.resolve()));
    launcher.status = {
      startedAt: new Date().toISOString(),
      services: [
        {
          service: 'catalog',
          replicas: [
            {
              replica: 'catalog-1',
              pid: 4242,
              state: 'running',
              url: 'http://127.0.0.1:1',
              knobs: { latencyMs: 300, errorRate: 0, hang: false },
              restarts: 0,
            },
            {
              replica: 'catalog-2',
              pid: null,
              state: 'killed',
              url: null,
              knobs: null,
              restarts: 1,
            },
          ],
        },
      ],
      load: null,
    };
    const dashboard = collector(['storefront', 'catalog'], {
      launcher: new LauncherClient(launcher.url),
    });

    const view = await dashboard.collect();
    expect(view.launcher).toMatchObject({ reachable: true, error: null });
    expect(view.launcher!.replicas.map((r) => [r.replica, r.state])).toEqual([
      ['catalog-1', 'running'],
      ['catalog-2', 'killed'],
    ]);
    expect(row(view, 'catalog', 'catalog-1')).toMatchObject({
      state: 'healthy',
      process: 'running',
      knobs: { latencyMs: 300, errorRate: 0, hang: false },
    });
    expect(row(view, 'catalog', 'catalog-2')).toMatchObject({
      state: 'killed',
      key: null,
      share: 0,
      process: 'killed',
    });
    expect(view.totals).toMatchObject({ replicasUp: 2, replicasTotal: 3 });

    await launcher.stop();
    launcherUp = false;
    const without = await dashboard.collect();
    expect(without.launcher).toMatchObject({ reachable: false, replicas: [], load: null });
    expect(without.launcher!.error).toBe('connection refused');
    expect(rows(without, 'catalog').map((r) => r.replica)).toEqual(['catalog-1']);
  });

  it("carries the loadgen's report with the journeys per second, and null without a loadgen", async () => {
    const launcher = track(await FakeLauncher.start());
    const report = (ok: number, failed: number) => ({
      rps: 20,
      mix: 'browse=70,cart=20,checkout=10',
      sent: ok + failed + 3,
      ok,
      failed,
      skipped: 1,
      inFlight: 3,
      maxInFlight: 200,
      byKind: {
        browse: { sent: ok + 3, ok, failed: 0 },
        checkout: { sent: failed, ok: 0, failed },
      },
      // Oldest first, as the loadgen appends them.
      recentFailures: [
        { at: '2025-01-01T10:00:00.000Z', kind: 'checkout', status: 503, message: 'first' },
        { at: '2025-01-01T10:00:05.000Z', kind: 'checkout', status: null, message: 'second' },
      ].slice(0, failed),
    });
    launcher.status = { services: [], load: report(100, 0) };
    const dashboard = collector(['catalog'], { launcher: new LauncherClient(launcher.url) });

    const started = Date.now();
    const first = await dashboard.collect();
    const firstDone = Date.now();
    // One reading: nothing to diff against yet.
    expect(first.launcher!.load).toEqual({
      rps: 20,
      mix: 'browse=70,cart=20,checkout=10',
      sent: 103,
      ok: 100,
      failed: 0,
      skipped: 1,
      inFlight: 3,
      byKind: {
        browse: { sent: 103, ok: 100, failed: 0 },
        checkout: { sent: 0, ok: 0, failed: 0 },
      },
      recentFailures: [],
      journeysPerSecond: null,
    });

    await delay(300);
    launcher.status = { services: [], load: report(160, 2) };
    const secondStarted = Date.now();
    const second = await dashboard.collect();
    const finished = Date.now();
    const load = second.launcher!.load!;
    expect(load).toMatchObject({ ok: 160, failed: 2, sent: 165 });
    // The loadgen's newest failure comes first.
    expect(load.recentFailures).toEqual([
      { at: '2025-01-01T10:00:05.000Z', kind: 'checkout', status: null, message: 'second' },
      { at: '2025-01-01T10:00:00.000Z', kind: 'checkout', status: 503, message: 'first' },
    ]);
    // 62 journeys ended between two readings taken somewhere within these two spans.
    expect(load.journeysPerSecond).toBeGreaterThanOrEqual(
      62 / ((finished - started) / 1000) - 0.01,
    );
    expect(load.journeysPerSecond).toBeLessThanOrEqual(
      62 / ((secondStarted - firstDone) / 1000) + 0.01,
    );

    // Counters that went back: another loadgen, whose rate starts again.
    launcher.status = { services: [], load: report(5, 0) };
    expect((await dashboard.collect()).launcher!.load).toMatchObject({
      ok: 5,
      journeysPerSecond: null,
    });

    // Fields the launcher or the loadgen leave out get their defaults.
    const { skipped: _skipped, inFlight: _inFlight, ...older } = report(7, 0);
    launcher.status = { services: [], load: older };
    expect((await dashboard.collect()).launcher!.load).toMatchObject({
      ok: 7,
      skipped: 0,
      inFlight: 0,
    });

    // No loadgen, a launcher without the field, or a report of another shape: no journeys, and
    // the launcher itself still counts as reachable.
    for (const status of [
      { services: [], load: null },
      { services: [] },
      { services: [], load: { rps: 20, ok: 'many' } },
    ]) {
      launcher.status = status;
      const view = await dashboard.collect();
      expect(view.launcher, JSON.stringify(status)).toEqual({
        reachable: true,
        error: null,
        replicas: [],
        load: null,
      });
    }
  });
});
