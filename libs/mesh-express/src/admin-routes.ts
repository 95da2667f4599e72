import type { Mesh } from '@trellis/mesh';
import { Router, type Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import { InvalidOptionError } from './invalid-option-error.js';
import {
  optionalBoolean,
  optionalWithMethods,
  optionsObject,
  rejectUnknownKeys,
} from './option-checks.js';
import { requireState, type ServerState, type ShedLimit } from './server-state.js';

/** The parts of a mesh the admin view reads; a `Mesh` from `createMesh()` fits. */
export type MeshView = Pick<Mesh, 'snapshot' | 'recentEvents'>;

export interface AdminRoutesOptions {
  state: ServerState;
  /** Shown by `GET /mesh`; without it the upstream and event lists are empty. */
  mesh?: MeshView;
  /** Served by `GET /metrics`; without it there is no `/metrics` route. */
  metrics?: Registry;
  /** Register prom-client's process metrics on `metrics` (once per registry). Default true. */
  collectDefaultMetrics?: boolean;
}

/** What `GET /mesh` answers: this server's side, then the mesh's view of its upstreams. */
export interface MeshAdminView {
  service: string;
  instance: string | null;
  ready: boolean;
  draining: boolean;
  inFlight: number;
  shed: Readonly<Record<ShedLimit, number>>;
  upstreams: ReturnType<Mesh['snapshot']>;
  recentEvents: ReturnType<Mesh['recentEvents']>;
}

/** Registries that already have our metrics (and maybe the default ones). */
const prepared = new WeakSet<Registry>();

/**
 * `GET /healthz` (alive), `GET /readyz` (registered and not draining), `GET /metrics`
 * (Prometheus text from the registry) and `GET /mesh` (the admin view, like Envoy's /clusters).
 * Mount at the root, after `meshMiddleware` (whose shedding exempts these paths): admin and
 * traffic share the port, so put the port behind your network policy rather than the open
 * internet, or mount the routes on a second app that listens on an internal port.
 */
export function meshAdminRoutes(options: AdminRoutesOptions): Router {
  const checked = optionsObject(options, 'meshAdminRoutes options');
  rejectUnknownKeys(checked, ['state', 'mesh', 'metrics', 'collectDefaultMetrics']);
  const state = requireState(checked['state']);
  const mesh = optionalWithMethods<MeshView>(
    checked['mesh'],
    'mesh',
    ['snapshot', 'recentEvents'],
    'the mesh from createMesh()',
  );
  const registry = optionalWithMethods<Registry>(
    checked['metrics'],
    'metrics',
    ['metrics', 'registerMetric', 'getSingleMetric'],
    'a prom-client Registry (new Registry())',
  );
  const withDefaults = optionalBoolean(checked['collectDefaultMetrics'], 'collectDefaultMetrics');
  if (withDefaults !== undefined && !registry) {
    throw new InvalidOptionError(
      'collectDefaultMetrics',
      'it is given without metrics, so there is no registry to collect into',
      'pass metrics: new Registry() too, or leave collectDefaultMetrics out',
    );
  }
  if (registry) prepareRegistry(registry, state, withDefaults ?? true);

  const router = Router();
  router.get('/healthz', (_req, res) => {
    noStore(res).json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const readiness = state.readiness();
    if (readiness.ready) {
      noStore(res).json({ status: 'ready', service: state.service, instance: state.instance });
    } else {
      noStore(res).status(503).json({ status: 'not-ready', reason: readiness.reason });
    }
  });
  if (registry) {
    router.get('/metrics', async (_req, res) => {
      const text = await registry.metrics();
      noStore(res).setHeader('content-type', registry.contentType);
      res.send(text);
    });
  }
  router.get('/mesh', (_req, res) => {
    const view: MeshAdminView = {
      service: state.service,
      instance: state.instance ?? null,
      ready: state.readiness().ready,
      draining: state.draining,
      inFlight: state.inFlight,
      shed: state.shed,
      upstreams: mesh?.snapshot() ?? [],
      recentEvents: mesh?.recentEvents() ?? [],
    };
    noStore(res).json(view);
  });
  return router;
}

function noStore(res: Response): Response {
  return res.setHeader('cache-control', 'no-store');
}

function prepareRegistry(registry: Registry, state: ServerState, withDefaults: boolean): void {
  if (prepared.has(registry)) return;
  prepared.add(registry);
  // Another library may have registered the process metrics already: registering twice throws.
  if (withDefaults && !registry.getSingleMetric('process_cpu_user_seconds_total')) {
    collectDefaultMetrics({ register: registry });
  }
  if (registry.getSingleMetric('trellis_server_requests_in_flight')) return;
  new Gauge({
    name: 'trellis_server_requests_in_flight',
    help: 'Requests this server is handling right now',
    registers: [registry],
    collect() {
      this.set(state.inFlight);
    },
  });
  new Gauge({
    name: 'trellis_server_draining',
    help: '1 while the server drains before shutdown, else 0',
    registers: [registry],
    collect() {
      this.set(state.draining ? 1 : 0);
    },
  });
  new Counter({
    name: 'trellis_server_requests_shed_total',
    help: 'Requests refused with 503 by load shedding, by the limit that refused them',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      // Counted by the state; the counter mirrors it at scrape time.
      this.reset();
      for (const [limit, count] of Object.entries(state.shed)) this.inc({ limit }, count);
    },
  });
}
