import { readFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { LocalRegistry } from '@trellis/mesh';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardRoutes, type DashboardOptions } from '../src/dashboard/index.js';
import type { DashboardView } from '../src/dashboard/dashboard-view.js';
import {
  Backend,
  Caller,
  closeServer,
  FakeLauncher,
  freePort,
  listen,
  portOf,
  TestRegistry,
  waitFor,
} from './dashboard-fixtures.js';

const PUBLIC_DIR = join(__dirname, '..', 'public', 'dashboard');

let registry: TestRegistry;
let discovery: LocalRegistry;
let cleanups: (() => Promise<unknown>)[];

beforeEach(async () => {
  registry = await TestRegistry.create();
  discovery = registry.open();
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await discovery.close();
  await registry.remove();
});

/** The dashboard mounted in front of an app, as the storefront mounts it. */
function dashboardApp(options: Partial<DashboardOptions> = {}) {
  const router = dashboardRoutes({
    discovery,
    services: ['storefront', 'catalog'],
    logger: pino({ level: 'silent' }),
    intervalMs: 100,
    ...options,
  });
  cleanups.push(async () => router.close());
  const app = express();
  app.use(router);
  app.use((_request, response) => {
    response.status(404).json({ fallthrough: true });
  });
  return { app, router };
}

async function serve(app: express.Express): Promise<string> {
  const server = await listen(app);
  cleanups.push(() => closeServer(server));
  return `http://127.0.0.1:${portOf(server)}`;
}

interface EventReader {
  response: IncomingMessage;
  /** Resolves with the first `count` events of type `snapshot`. */
  snapshots(count: number): Promise<DashboardView[]>;
  ended: Promise<void>;
  /** The whole body, once the server ended it (a refusal's JSON). */
  text(): Promise<string>;
  close(): void;
}

/** Opens `GET /dashboard/events` and parses the stream as a browser would. */
function openEvents(baseUrl: string): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const outgoing = get(`${baseUrl}/dashboard/events`, (response) => {
      let buffer = '';
      let raw = '';
      const snapshots: DashboardView[] = [];
      const waiters: { count: number; resolve: (views: DashboardView[]) => void }[] = [];
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const lines = frame.split('\n');
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
          const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
          if (event === 'snapshot' && data) snapshots.push(JSON.parse(data) as DashboardView);
        }
        for (const waiter of [...waiters]) {
          if (snapshots.length >= waiter.count) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(snapshots.slice(0, waiter.count));
          }
        }
      });
      resolve({
        response,
        ended,
        snapshots: (count) =>
          new Promise((done) => {
            if (snapshots.length >= count) done(snapshots.slice(0, count));
            else waiters.push({ count, resolve: done });
          }),
        text: async () => {
          await ended;
          return raw;
        },
        close: () => outgoing.destroy(),
      });
    });
    outgoing.on('error', reject);
  });
}

async function world(): Promise<void> {
  const backend = await Backend.start(registry, 'catalog', 'catalog-1');
  cleanups.push(() => backend.stop());
  const caller = await Caller.start(registry, 'storefront', 'storefront-1', {
    catalog: { outlierDetection: false, breaker: false },
  });
  cleanups.push(() => caller.stop());
  await caller.call('catalog', { count: 3 });
}

describe('the dashboard page and its files', () => {
  it('serves the page with a strict content security policy', async () => {
    const { app } = dashboardApp();
    const page = await request(app).get('/dashboard').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('data-testid="dashboard-live"');
    expect(page.text).toContain('data-connected="false"');
    expect(page.text).toContain('src="/dashboard/assets/dashboard.js"');
    expect(page.text).toContain('href="/dashboard/assets/dashboard.css"');
    // The user journeys and their failures stay hidden until a loadgen report comes.
    expect(page.text).toMatch(/<div class="total journeys" id="journeys" hidden>/);
    expect(page.text).toContain('data-total="journeys-ok"');
    expect(page.text).toContain('data-total="journeys-failed"');
    expect(page.text).toMatch(/id="journey-failures-panel"[^>]*\shidden\s*>/);
  });

  it('serves every script the page loads, and nothing it loads comes from elsewhere', async () => {
    const { app } = dashboardApp();
    const css = await request(app).get('/dashboard/assets/dashboard.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    // Follow the module graph from the entry script, as the browser does.
    const pending = ['dashboard.js'];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const script = await request(app).get(`/dashboard/assets/${name}`).expect(200);
      expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
      for (const [, imported] of script.text.matchAll(/from '\.\/([\w-]+\.js)'/g)) {
        pending.push(imported!);
      }
    }
    expect([...seen].sort()).toEqual([
      'chaos.js',
      'dashboard.js',
      'decisions-feed.js',
      'dom.js',
      'format.js',
      'graph-layout.js',
      'service-graph.js',
      'upstream-cards.js',
      'user-journeys.js',
    ]);
    for (const name of [...seen, 'dashboard.css', 'index.html']) {
      const text = await readFile(join(PUBLIC_DIR, name), 'utf8');
      const external = [...text.matchAll(/https?:\/\/[^\s'")]+/g)].map((match) => match[0]);
      expect(
        external.filter((url) => url !== 'http://www.w3.org/2000/svg'),
        name,
      ).toEqual([]);
    }
  });

  it('answers 404 for files it does not have, and never serves anything outside its folder', async () => {
    const { app } = dashboardApp();
    const missing = await request(app).get('/dashboard/assets/nope.js').expect(404);
    expect(missing.body).toEqual({
      error: { code: 'ERR_NO_SUCH_ASSET', message: 'the dashboard has no such file' },
    });
    const escape = await request(app).get('/dashboard/assets/..%2f..%2fpackage.json');
    expect([403, 404]).toContain(escape.status);
    expect(escape.text).not.toContain('@trellis/storefront');
    // Anything else goes on to the app behind.
    expect((await request(app).get('/api/products').expect(404)).body).toEqual({
      fallthrough: true,
    });
  });
});

describe('the dashboard state and its stream', () => {
  it('answers the current view as JSON', async () => {
    await world();
    const { app } = dashboardApp();
    const answer = await request(app).get('/dashboard/state').expect(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const view = answer.body as DashboardView;
    expect(Object.keys(view).sort()).toEqual([
      'decisions',
      'edges',
      'generatedAt',
      'instances',
      'launcher',
      'services',
      'totals',
      'upstreams',
      'windowMs',
    ]);
    expect(new Date(view.generatedAt).toISOString()).toBe(view.generatedAt);
    expect(view.windowMs).toBe(5_000);
    expect(view.launcher).toBeNull();
    expect(view.totals).toEqual({
      requestsPerSecond: expect.any(Number),
      errorsPerSecond: expect.any(Number),
      replicasUp: 2,
      replicasTotal: 2,
    });
    expect(view.edges).toEqual([
      {
        caller: 'storefront',
        upstream: 'catalog',
        calls: expect.any(Number),
        failed: 0,
        requestsPerSecond: expect.any(Number),
        errorRate: 0,
        p50Ms: null,
        p99Ms: null,
        breaker: 'off',
        panic: false,
        health: 'idle',
      },
    ]);
    expect(view.upstreams).toEqual([
      {
        upstream: 'catalog',
        callers: ['storefront'],
        requestsPerSecond: 0,
        breaker: 'off',
        panic: false,
        endpoints: [
          {
            upstream: 'catalog',
            replica: 'catalog-1',
            key: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
            state: 'healthy',
            seenBy: 1,
            ejectedBy: 0,
            ewmaMs: expect.any(Number),
            share: 0,
            sentPerSecond: 0,
            inFlight: 0,
            knobs: null,
            process: null,
          },
        ],
      },
    ]);
    expect(view.instances.map((i) => Object.keys(i).sort())).toEqual(
      Array(2).fill([
        'draining',
        'error',
        'inFlight',
        'instance',
        'key',
        'reachable',
        'ready',
        'replica',
        'service',
        'shed',
      ]),
    );
    expect(view.services.map((node) => [node.service, node.depth])).toEqual([
      ['storefront', 0],
      ['catalog', 1],
    ]);
    expect(view.decisions).toEqual([]);
  });

  it('streams a snapshot event every interval', async () => {
    await world();
    const { app } = dashboardApp({ intervalMs: 100 });
    const events = await openEvents(await serve(app));
    try {
      expect(events.response.statusCode).toBe(200);
      expect(events.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(events.response.headers['cache-control']).toBe('no-store');
      const [first, second] = await events.snapshots(2);
      expect(first!.edges.map((e) => `${e.caller}->${e.upstream}`)).toEqual([
        'storefront->catalog',
      ]);
      expect(Date.parse(second!.generatedAt)).toBeGreaterThan(Date.parse(first!.generatedAt));
      expect(second!.instances).toHaveLength(2);
    } finally {
      events.close();
    }
  });

  it('refuses streams past the cap with 503, and takes new ones once a client has gone', async () => {
    const { app } = dashboardApp({ maxClients: 1 });
    const baseUrl = await serve(app);
    const first = await openEvents(baseUrl);
    await first.snapshots(1);
    const refused = await openEvents(baseUrl);
    expect(refused.response.statusCode).toBe(503);
    expect(refused.response.headers['retry-after']).toBe('5');
    expect(JSON.parse(await refused.text())).toEqual({
      error: {
        code: 'ERR_TOO_MANY_CLIENTS',
        message: 'the dashboard already streams to 1 clients; try again later',
      },
    });
    first.close();
    const next = await waitFor('a stream to be accepted again', async () => {
      const attempt = await openEvents(baseUrl);
      if (attempt.response.statusCode === 200) return attempt;
      await attempt.text();
      return undefined;
    });
    try {
      expect((await next.snapshots(1))[0]!.windowMs).toBe(5_000);
    } finally {
      next.close();
    }
  });

  it('ends every stream on close(), so a draining server is not held open', async () => {
    const { app, router } = dashboardApp();
    const events = await openEvents(await serve(app));
    await events.snapshots(1);
    router.close();
    await events.ended;
    expect(events.response.complete).toBe(true);
  });
});

describe('chaos', () => {
  let launcher: FakeLauncher;

  beforeEach(async () => {
    launcher = await FakeLauncher.start();
    cleanups.push(() => launcher.stop());
  });

  it('answers 501 without a launcher, saying chaos needs npm start', async () => {
    const { app } = dashboardApp();
    const answer = await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'kill', replica: 'catalog-1' })
      .expect(501);
    expect(answer.body.error.code).toBe('ERR_NO_LAUNCHER');
    expect(answer.body.error.message).toMatch(
      /^chaos needs the local launcher: run the shop with `npm start`/,
    );
  });

  it('sends valid chaos on to the launcher and relays its answer', async () => {
    const { app } = dashboardApp({ launcherUrl: `${launcher.url}/` });
    launcher.chaosAnswer = {
      status: 200,
      body: {
        ok: true,
        replica: 'catalog-2',
        action: 'slow',
        knobs: { latencyMs: 300, errorRate: 0, hang: false },
      },
    };
    const slow = await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'slow', replica: 'catalog-2' })
      .expect(200);
    expect(slow.body).toEqual(launcher.chaosAnswer.body);

    launcher.chaosAnswer = {
      status: 200,
      body: { ok: true, replica: 'payments-1', action: 'fail' },
    };
    await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'fail', replica: 'payments-1', errorRate: 0.25 })
      .expect(200);

    launcher.chaosAnswer = {
      status: 404,
      body: {
        error: { code: 'ERR_NO_SUCH_REPLICA', message: 'no replica catalog-9; known: catalog-1' },
      },
    };
    const unknown = await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'kill', replica: 'catalog-9' })
      .expect(404);
    expect(unknown.body).toEqual(launcher.chaosAnswer.body);

    // The knob of slow and fail always goes along: the dashboard's defaults when left out.
    expect(launcher.chaosBodies).toEqual([
      { action: 'slow', replica: 'catalog-2', latencyMs: 300 },
      { action: 'fail', replica: 'payments-1', errorRate: 0.25 },
      { action: 'kill', replica: 'catalog-9' },
    ]);
  });

  it.each([
    [{}, /^action: /],
    [
      { action: 'explode', replica: 'catalog-1' },
      /^action: expected one of kill, slow, fail, hang, heal$/,
    ],
    [{ action: 'kill' }, /^replica: /],
    [
      { action: 'kill', replica: 'Catalog One' },
      /^replica: a replica name looks like "catalog-2"$/,
    ],
    [
      { action: 'kill', replica: 'catalog-1', latencyMs: 300 },
      /^latencyMs: only goes with "slow"$/,
    ],
    [{ action: 'slow', replica: 'catalog-1', latencyMs: -5 }, /^latencyMs: /],
    [{ action: 'slow', replica: 'catalog-1', latencyMs: 'very' }, /^latencyMs: /],
    [{ action: 'fail', replica: 'catalog-1', errorRate: 1.5 }, /^errorRate: /],
    [
      { action: 'hang', replica: 'catalog-1', errorRate: 0.5 },
      /^errorRate: only goes with "fail"$/,
    ],
    [{ action: 'kill', replica: 'catalog-1', force: true }, /force/],
    [[], /^body: /],
  ])('answers 400 naming the field for %j, and sends nothing on', async (body, message) => {
    const { app } = dashboardApp({ launcherUrl: launcher.url });
    const answer = await request(app)
      .post('/dashboard/chaos')
      .send(body as object)
      .expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(message);
    expect(launcher.chaosBodies).toEqual([]);
  });

  it('answers 400 for broken JSON, 415 for other media types and 413 for big bodies', async () => {
    const { app } = dashboardApp({ launcherUrl: launcher.url });
    const broken = await request(app)
      .post('/dashboard/chaos')
      .set('content-type', 'application/json')
      .send('{"action": "kill",')
      .expect(400);
    expect(broken.body.error).toEqual({ code: 'ERR_BAD_REQUEST', message: 'body: not valid JSON' });
    const form = await request(app)
      .post('/dashboard/chaos')
      .type('form')
      .send({ action: 'kill', replica: 'catalog-1' })
      .expect(415);
    expect(form.body.error.message).toBe('body: send JSON with content-type application/json');
    const big = await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'kill', replica: 'catalog-1', padding: 'x'.repeat(5_000) })
      .expect(413);
    expect(big.body.error).toEqual({
      code: 'ERR_BODY_TOO_LARGE',
      message: 'body: larger than 4 kB',
    });
    expect(launcher.chaosBodies).toEqual([]);
  });

  it('answers 502 when the launcher does not answer', async () => {
    const { app } = dashboardApp({ launcherUrl: `http://127.0.0.1:${await freePort()}` });
    const answer = await request(app)
      .post('/dashboard/chaos')
      .send({ action: 'heal', replica: 'catalog-1' })
      .expect(502);
    expect(answer.body.error.code).toBe('ERR_LAUNCHER_UNREACHABLE');
    expect(answer.body.error.message).toMatch(/did not answer properly: connection refused$/);
  });

  it('shows the launcher in the state once one is set', async () => {
    launcher.status = {
      services: [
        {
          service: 'catalog',
          replicas: [
            { replica: 'catalog-1', pid: 7, state: 'running', url: null, knobs: null, restarts: 0 },
          ],
        },
      ],
    };
    const { app } = dashboardApp({ launcherUrl: launcher.url });
    const view = (await request(app).get('/dashboard/state').expect(200)).body as DashboardView;
    expect(view.launcher).toEqual({
      reachable: true,
      error: null,
      replicas: [
        {
          service: 'catalog',
          replica: 'catalog-1',
          state: 'running',
          pid: 7,
          knobs: null,
          restarts: 0,
        },
      ],
      load: null,
    });
  });

  it("carries the loadgen's report from the launcher into the state", async () => {
    const report = {
      rps: 20,
      mix: 'browse=100',
      sent: 12_350,
      ok: 12_345,
      failed: 1,
      skipped: 0,
      inFlight: 4,
      byKind: { browse: { sent: 12_350, ok: 12_345, failed: 1 } },
      recentFailures: [
        { at: '2025-01-01T10:00:00.000Z', kind: 'browse', status: 502, message: 'bad gateway' },
      ],
    };
    launcher.status = { services: [], load: report };
    const { app } = dashboardApp({ launcherUrl: launcher.url });
    const view = (await request(app).get('/dashboard/state').expect(200)).body as DashboardView;
    expect(view.launcher!.load).toEqual({ ...report, journeysPerSecond: null });
  });
});
