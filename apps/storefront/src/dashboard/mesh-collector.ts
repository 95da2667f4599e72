import { endpointKey, type Discovery } from '@trellis/mesh';
import type { Logger } from 'pino';
import type { DashboardView, InstanceView, LauncherView } from './dashboard-view.js';
import { DecisionLog } from './decision-log.js';
import { DiscoveryWatch } from './discovery-watch.js';
import { computeEdges } from './edge-stats.js';
import { HttpJsonError, requestJson } from './http-json.js';
import { InstanceHistory, totalShed } from './instance-history.js';
import type { InstanceSample } from './instance-sample.js';
import { JourneyRate } from './journey-rate.js';
import type { LauncherClient } from './launcher-client.js';
import { meshAdminViewSchema, type MeshReadingView } from './mesh-reading.js';
import { round } from './rounding.js';
import { computeServiceNodes } from './service-graph.js';
import { computeUpstreamCards } from './upstream-cards.js';

export const DEFAULT_WINDOW_MS = 5_000;
export const DEFAULT_FETCH_TIMEOUT_MS = 500;
/** How long the first collection waits for discovery's first endpoint sets. */
const DISCOVERY_WAIT_MS = 1_000;

export interface MeshCollectorOptions {
  discovery: Discovery;
  services: readonly string[];
  logger: Logger;
  launcher?: LauncherClient;
  /** The sliding window rates and quantiles cover. Default 5 s. */
  windowMs?: number;
  /** How long one instance may take to answer `GET /mesh`. Default 500 ms. */
  fetchTimeoutMs?: number;
  /** Decisions kept in the feed. Default 50. */
  decisionCapacity?: number;
}

interface Target {
  service: string;
  replica: string;
  key: string;
  draining: boolean;
}

type Answer = { view: MeshReadingView; at: number } | { error: string };

/**
 * Builds the dashboard's view: at each `collect()`, reads `GET /mesh` of every instance of every
 * watched service in parallel, keeps a short history per instance, and turns the differences of
 * their cumulative counters over the window into rates, error rates, quantiles and shares.
 */
export class MeshCollector {
  readonly #options: MeshCollectorOptions;
  readonly #windowMs: number;
  readonly #fetchTimeoutMs: number;
  readonly #histories = new Map<string, InstanceHistory>();
  readonly #decisions: DecisionLog;
  /** Replica names by address:port, remembered so decisions about departed endpoints keep them. */
  readonly #replicaNames = new Map<string, string>();
  readonly #unreachable = new Set<string>();
  readonly #journeyRate: JourneyRate;
  #launcherReachable = true;
  #watch: DiscoveryWatch | undefined;
  #collecting: Promise<DashboardView> | undefined;
  #latest: DashboardView | undefined;
  #closed = false;

  constructor(options: MeshCollectorOptions) {
    this.#options = options;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.#decisions = new DecisionLog(options.decisionCapacity);
    this.#journeyRate = new JourneyRate(this.#windowMs);
  }

  /** The last view built, if any. */
  get latest(): DashboardView | undefined {
    return this.#latest;
  }

  /** One round of readings; a call while one is running shares it instead of starting another. */
  collect(): Promise<DashboardView> {
    this.#collecting ??= this.#collectOnce().finally(() => {
      this.#collecting = undefined;
    });
    return this.#collecting;
  }

  /** Stops watching discovery until the next `collect()`; the history stays. */
  async pause(): Promise<void> {
    const watch = this.#watch;
    this.#watch = undefined;
    await this.#collecting?.catch(() => undefined);
    await watch?.close();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.pause();
  }

  async #collectOnce(): Promise<DashboardView> {
    if (this.#closed) throw new Error('The mesh collector is closed');
    const watch = await this.#ensureWatch();
    const targets = this.#targets(watch);
    const [answers, launcher] = await Promise.all([
      Promise.all(targets.map((target) => this.#read(target))),
      this.#options.launcher ? this.#launcherStatus(this.#options.launcher) : null,
    ]);
    const samples: InstanceSample[] = [];
    const instances: InstanceView[] = [];
    const live = new Set<string>();
    targets.forEach((target, index) => {
      const id = `${target.service}/${target.key}`;
      live.add(id);
      const answer = answers[index]!;
      let history = this.#histories.get(id);
      if (!history) {
        history = new InstanceHistory(this.#windowMs);
        this.#histories.set(id, history);
      }
      if ('error' in answer) {
        this.#noteReachability(id, target, answer.error);
        samples.push({ ...target, window: undefined, error: answer.error });
        instances.push(unreachableInstance(target, history, answer.error));
        return;
      }
      this.#noteReachability(id, target, null);
      history.record({ at: answer.at, view: answer.view });
      samples.push({ ...target, window: history.window(), error: null });
      instances.push(reachableInstance(target, answer.view));
      this.#learnReplicaNames(answer.view);
      this.#decisions.add(
        { service: target.service, replica: target.replica, identity: answer.view.instance ?? id },
        answer.view.recentEvents,
        (key) => this.#replicaNames.get(key) ?? key,
      );
    });
    // Instances that left discovery leave the view now; a restarted one starts a fresh history.
    for (const id of [...this.#histories.keys()]) {
      if (!live.has(id)) this.#histories.delete(id);
    }
    for (const id of [...this.#unreachable]) {
      if (!live.has(id)) this.#unreachable.delete(id);
    }
    const view = this.#buildView(samples, instances, launcher);
    this.#latest = view;
    return view;
  }

  async #ensureWatch(): Promise<DiscoveryWatch> {
    if (this.#watch) return this.#watch;
    const watch = new DiscoveryWatch(
      this.#options.discovery,
      this.#options.services,
      this.#options.logger,
    );
    this.#watch = watch;
    await watch.ready(DISCOVERY_WAIT_MS);
    return watch;
  }

  #targets(watch: DiscoveryWatch): Target[] {
    const targets = new Map<string, Target>();
    for (const service of new Set(this.#options.services)) {
      for (const endpoint of watch.endpoints(service)) {
        const key = endpointKey(endpoint);
        const replica = endpoint.metadata?.['replica'] ?? key;
        this.#replicaNames.set(key, replica);
        targets.set(`${service}/${key}`, {
          service,
          replica,
          key,
          draining: Boolean(endpoint.draining),
        });
      }
    }
    return [...targets.values()];
  }

  async #read(target: Target): Promise<Answer> {
    try {
      const answer = await requestJson(`http://${target.key}/mesh`, {
        timeoutMs: this.#fetchTimeoutMs,
      });
      if (answer.status !== 200) return { error: `GET /mesh answered ${answer.status}` };
      const parsed = meshAdminViewSchema.safeParse(answer.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return {
          error: `GET /mesh answered something else than a mesh view (${issue.path.join('.')}: ${issue.message})`,
        };
      }
      if (parsed.data.service !== target.service) {
        return { error: `the address answers as service "${parsed.data.service}"` };
      }
      return { view: parsed.data, at: Date.now() };
    } catch (error) {
      if (!(error instanceof HttpJsonError)) throw error;
      return { error: error.message };
    }
  }

  async #launcherStatus(launcher: LauncherClient): Promise<LauncherView> {
    const { load, ...status } = await launcher.status();
    if (status.reachable !== this.#launcherReachable) {
      this.#launcherReachable = status.reachable;
      if (status.reachable)
        this.#options.logger.info({ launcher: launcher.url }, 'Launcher is back');
      else {
        this.#options.logger.warn(
          { launcher: launcher.url, problem: status.error },
          'The dashboard cannot read the launcher status; chaos controls show no process state',
        );
      }
    }
    if (!load) {
      // A launcher that answered without a loadgen: the next loadgen is a new one.
      if (status.reachable) this.#journeyRate.reset();
      return { ...status, load: null };
    }
    return {
      ...status,
      load: { ...load, journeysPerSecond: this.#journeyRate.record(Date.now(), load) },
    };
  }

  /** Logs when an instance stops or starts answering, not at every tick. */
  #noteReachability(id: string, target: Target, error: string | null): void {
    if (error !== null && !this.#unreachable.has(id)) {
      this.#unreachable.add(id);
      this.#options.logger.warn(
        { service: target.service, replica: target.replica, endpoint: target.key, problem: error },
        'The dashboard cannot read this instance; it shows as unreachable',
      );
    } else if (error === null && this.#unreachable.delete(id)) {
      this.#options.logger.info(
        { service: target.service, replica: target.replica, endpoint: target.key },
        'The instance answers the dashboard again',
      );
    }
  }

  #learnReplicaNames(view: MeshReadingView): void {
    for (const upstream of view.upstreams) {
      for (const endpoint of upstream.endpoints) {
        const replica = endpoint.metadata['replica'];
        if (replica) this.#replicaNames.set(endpoint.key, replica);
      }
    }
  }

  #buildView(
    samples: readonly InstanceSample[],
    instances: InstanceView[],
    launcher: LauncherView | null,
  ): DashboardView {
    const edges = computeEdges(samples);
    const upstreams = computeUpstreamCards(samples, edges, launcher);
    instances.sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        a.replica.localeCompare(b.replica, 'en', { numeric: true }),
    );
    const discovered = new Set(instances.map((instance) => instance.replica));
    const launcherDown = (launcher?.replicas ?? []).filter(
      (replica) => replica.state !== 'running' && !discovered.has(replica.replica),
    ).length;
    return {
      generatedAt: new Date().toISOString(),
      windowMs: this.#windowMs,
      totals: {
        requestsPerSecond: round(
          edges.reduce((sum, edge) => sum + edge.requestsPerSecond, 0),
          2,
        ),
        errorsPerSecond: round(
          edges.reduce((sum, edge) => sum + edge.requestsPerSecond * edge.errorRate, 0),
          2,
        ),
        replicasUp: instances.filter((instance) => instance.reachable && instance.ready).length,
        replicasTotal: instances.length + launcherDown,
      },
      services: computeServiceNodes(this.#options.services, edges, instances),
      edges,
      upstreams,
      instances,
      decisions: this.#decisions.list(),
      launcher,
    };
  }
}

function reachableInstance(target: Target, view: MeshReadingView): InstanceView {
  return {
    service: target.service,
    replica: target.replica,
    key: target.key,
    instance: view.instance,
    reachable: true,
    error: null,
    ready: view.ready,
    draining: view.draining,
    // The instance counted the very `GET /mesh` that reads it: leave that one out.
    inFlight: Math.max(0, view.inFlight - 1),
    shed: totalShed(view),
  };
}

function unreachableInstance(
  target: Target,
  history: InstanceHistory,
  error: string,
): InstanceView {
  return {
    service: target.service,
    replica: target.replica,
    key: target.key,
    instance: history.latest?.view.instance ?? null,
    reachable: false,
    error,
    ready: false,
    draining: target.draining,
    inFlight: 0,
    shed: 0,
  };
}
