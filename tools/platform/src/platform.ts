import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ControlError } from './control-error.js';
import { parseChaosBody, parseLoadBody, parseScaleBody } from './control-schemas.js';
import { startControlServer } from './control-server.js';
import type { PlatformEvent, PlatformEventListener } from './events.js';
import { removeLauncherFile, runningLauncher, writeLauncherFile } from './launcher-file.js';
import { removeDeadLeases, removeLeasesOf } from './leases.js';
import { firstFreePort } from './ports.js';
import { postLoad, readKnobs, readLoad, setKnobs } from './replica-admin.js';
import { Replica } from './replica.js';
import {
  DEFAULT_REPLICAS,
  isService,
  MAX_REPLICAS,
  replicaName,
  SERVICES,
  START_STAGES,
  STOP_STAGES,
  type Service,
} from './services.js';
import type {
  ChaosAction,
  ChaosResult,
  Knobs,
  LoadSettings,
  LoadStatus,
  PlatformStatus,
} from './status.js';

export interface PlatformOptions {
  /** The repository: replicas run `<repoRoot>/apps/<service>/dist/main.js`. */
  repoRoot: string;
  /** The local registry's directory, shared by every replica. */
  registryDir: string;
  /** Where `launcher.json` and `logs/` go; default `<repoRoot>/.trellis`. */
  stateDir?: string;
  /** Replicas per service, over the defaults; 0 leaves a service out. */
  replicas?: Partial<Record<Service, number>>;
  /** storefront-1's port, the next ones +1 (default 3000); 0 = any free port. */
  storefrontPort?: number;
  /** Extra environment per service. */
  env?: Partial<Record<Service, Record<string, string>>>;
  /** The loadgen's starting rate (its own default otherwise). */
  loadRps?: number;
  onEvent?: PlatformEventListener;
  /** Each replica's `DRAIN_DELAY_MS`; short locally. Default 300. */
  drainDelayMs?: number;
  /** How long a replica gets to register and become ready. Default 60 s. */
  startTimeoutMs?: number;
  /** Aborting it while the platform starts stops what has started, and the start rejects. */
  signal?: AbortSignal;
}

/** The running shop, as `startPlatform` hands it back. */
export interface Platform {
  /** storefront-1's URL, e.g. `http://127.0.0.1:3000/`; null without a storefront. */
  readonly storefrontUrl: string | null;
  readonly dashboardUrl: string | null;
  /** The control API's base URL (also in `<stateDir>/launcher.json`). */
  readonly controlUrl: string;
  status(): Promise<PlatformStatus>;
  /** Starts or stops replicas until the service has `replicas` of them; answers the status. */
  scale(service: Service, replicas: number): Promise<PlatformStatus>;
  chaos(action: ChaosAction): Promise<ChaosResult>;
  /** Sets every loadgen replica's rate (and mix); answers the first one's report. */
  setLoad(rps: number, mix?: string): Promise<LoadStatus>;
  /** Stops every replica in order, removes `launcher.json`, and leaves no lease behind. */
  stop(): Promise<void>;
}

const DEFAULT_STOREFRONT_PORT = 3_000;
const DEFAULT_DRAIN_DELAY_MS = 300;
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Time a replica gets to drain beyond its delay before it is killed. */
const STOP_GRACE_MS = 10_000;

const NO_KNOBS: Knobs = { latencyMs: 0, errorRate: 0, hang: false };

/** Starts every replica as its own process and serves the control API; see `Platform`. */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const launcher = new Launcher(options);
  const abort = () => void launcher.stop();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (options.signal?.aborted) throw options.signal.reason;
    await launcher.start();
    if (options.signal?.aborted) throw options.signal.reason;
  } catch (error) {
    await launcher.stop();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  return launcher;
}

class Launcher implements Platform {
  readonly #options: PlatformOptions;
  readonly #stateDir: string;
  readonly #logDir: string;
  readonly #counts: Record<Service, number>;
  readonly #replicas = new Map<Service, Replica[]>(SERVICES.map((service) => [service, []]));
  /** Every pid ever started, so their leases can be cleaned whatever happened to them. */
  readonly #pids = new Set<number>();
  readonly #startedAt = new Date();
  readonly #drainDelayMs: number;
  #load: { rps?: number; mix?: string } = {};
  #control: { url: string; close(): Promise<void> } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #stopping = false;
  #stopped: Promise<void> | undefined;
  readonly #exitHook = () => this.#killEverythingNow();

  constructor(options: PlatformOptions) {
    this.#options = options;
    this.#stateDir = options.stateDir ?? join(options.repoRoot, '.trellis');
    this.#logDir = join(this.#stateDir, 'logs');
    this.#drainDelayMs = options.drainDelayMs ?? DEFAULT_DRAIN_DELAY_MS;
    this.#counts = readReplicaCounts(options.replicas);
    if (options.loadRps !== undefined) this.#load.rps = options.loadRps;
    const port = options.storefrontPort ?? DEFAULT_STOREFRONT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new TypeError(`storefrontPort: use a port from 1 to 65535, or 0 for any free port`);
    }
  }

  get controlUrl(): string {
    return this.#control?.url ?? '';
  }

  get storefrontUrl(): string | null {
    const first = this.#replicas.get('storefront')![0];
    if (!first) return null;
    if (first.port !== undefined) return `http://127.0.0.1:${first.port}/`;
    return first.url === null ? null : `${first.url}/`;
  }

  get dashboardUrl(): string | null {
    const storefront = this.storefrontUrl;
    return storefront === null ? null : `${storefront}dashboard`;
  }

  async start(): Promise<void> {
    const missing = SERVICES.filter(
      (service) => this.#counts[service] > 0 && !existsSync(this.#mainFile(service)),
    );
    if (missing.length > 0) {
      throw new Error(
        `not built: ${missing.map((service) => `apps/${service}/dist/main.js`).join(', ')}; ` +
          `build with \`npx nx run-many -t build\``,
      );
    }
    const other = runningLauncher(this.#stateDir);
    if (other) {
      throw new Error(
        `a platform is already running here (launcher pid ${other.pid}, ${other.url}); ` +
          'stop it first (Ctrl-C in its terminal)',
      );
    }
    mkdirSync(this.#logDir, { recursive: true });
    mkdirSync(this.#options.registryDir, { recursive: true });
    removeDeadLeases(this.#options.registryDir);
    process.on('exit', this.#exitHook);
    this.#control = await startControlServer({
      status: () => this.status(),
      scaleFromBody: (body) => {
        const { service, replicas } = parseScaleBody(body);
        return this.scale(service, replicas);
      },
      chaosFromBody: (body) => this.chaos(body as ChaosAction),
      loadFromBody: (body) => {
        const settings = parseLoadBody(body);
        return this.setLoad(settings.rps, settings.mix);
      },
    });
    writeLauncherFile(this.#stateDir, { url: this.#control.url, pid: process.pid });
    // Control requests that arrive meanwhile wait until every replica has had its start.
    await this.#exclusive(async () => {
      for (const stage of START_STAGES) {
        const replicas = stage.flatMap((service) =>
          Array.from({ length: this.#counts[service] }, (_, offset) =>
            this.#addReplica(service, offset + 1),
          ),
        );
        await Promise.all(replicas.map((replica) => this.#launch(replica)));
      }
    });
  }

  async status(): Promise<PlatformStatus> {
    const services = await Promise.all(
      SERVICES.map(async (service) => ({
        service,
        replicas: await Promise.all(
          this.#replicas
            .get(service)!
            .map(async (replica) =>
              replica.status(
                replica.state === 'running' && replica.url ? await readKnobs(replica.url) : null,
              ),
            ),
        ),
      })),
    );
    const loadgen = this.#running('loadgen')[0];
    return {
      startedAt: this.#startedAt.toISOString(),
      storefrontUrl: this.storefrontUrl,
      dashboardUrl: this.dashboardUrl,
      services,
      load: loadgen?.url ? await readLoad(loadgen.url) : null,
    };
  }

  async scale(service: Service, replicas: number): Promise<PlatformStatus> {
    const target = parseScaleBody({ service, replicas });
    return this.#exclusive(async () => {
      if (!existsSync(this.#mainFile(target.service))) {
        throw new ControlError(
          409,
          'ERR_NOT_BUILT',
          `apps/${target.service}/dist/main.js is not built; run \`npx nx build @trellis/${target.service}\``,
        );
      }
      const list = this.#replicas.get(target.service)!;
      // Down: the highest-numbered replicas drain and go.
      const leaving = list.filter((replica) => replica.index > target.replicas);
      await Promise.all(leaving.map((replica) => this.#stopReplica(replica)));
      list.splice(target.replicas);
      // Up: new replicas take the next numbers.
      const first = list.length + 1;
      const joining = Array.from({ length: target.replicas - list.length }, (_, offset) =>
        this.#addReplica(target.service, first + offset),
      );
      await Promise.all(joining.map((replica) => this.#launch(replica)));
      return this.status();
    });
  }

  async chaos(input: ChaosAction): Promise<ChaosResult> {
    const action = parseChaosBody(input);
    return this.#exclusive(async () => {
      const replica = this.#find(action.replica);
      const result = (knobs: Knobs | null): ChaosResult => ({
        ok: true,
        replica: replica.name,
        action: action.action,
        knobs,
      });
      switch (action.action) {
        case 'kill':
          if (!replica.alive) {
            throw new ControlError(
              409,
              'ERR_REPLICA_DOWN',
              `${replica.name} is already ${replica.state}`,
            );
          }
          await replica.kill();
          this.#emit({
            type: 'replica-killed',
            replica: replica.name,
            message: `${replica.name} killed (SIGKILL); \`trellis chaos heal ${replica.name}\` starts it again`,
          });
          return result(null);
        case 'slow':
          return result(await this.#setKnobs(replica, { latencyMs: action.latencyMs }));
        case 'fail':
          return result(await this.#setKnobs(replica, { errorRate: action.errorRate }));
        case 'hang':
          return result(await this.#setKnobs(replica, { hang: true }));
        case 'heal':
          if (replica.state === 'killed' || replica.state === 'exited') {
            replica.restarts += 1;
            if (!(await this.#launch(replica))) {
              throw new ControlError(
                502,
                'ERR_START_FAILED',
                `${replica.name} did not start again: ${(replica.lastLines ?? []).slice(-3).join(' | ')} (log: ${replica.logFile})`,
              );
            }
          }
          // Also for a fresh process: the service's env may have set knobs.
          return result(await this.#setKnobs(replica, NO_KNOBS));
      }
    });
  }

  async setLoad(rps: number, mix?: string): Promise<LoadStatus> {
    const settings: LoadSettings = parseLoadBody(mix === undefined ? { rps } : { rps, mix });
    return this.#exclusive(async () => {
      const loadgens = this.#running('loadgen');
      if (loadgens.length === 0) {
        throw new ControlError(
          409,
          'ERR_NO_LOADGEN',
          'no loadgen replica is running; start one with `trellis scale loadgen=1`',
        );
      }
      const answers = await Promise.all(
        loadgens.map((loadgen) =>
          postLoad(loadgen.url!, settings).catch((error: Error) => {
            throw new ControlError(
              502,
              'ERR_REPLICA_UNREACHABLE',
              `${loadgen.name} did not answer: ${error.message}`,
            );
          }),
        ),
      );
      const refused = answers.find((answer) => answer.status !== 200);
      if (refused) {
        const error = (refused.body as { error?: { code?: string; message?: string } }).error;
        throw new ControlError(
          refused.status,
          error?.code ?? 'ERR_LOAD_REFUSED',
          error?.message ?? `the loadgen answered ${refused.status}`,
        );
      }
      this.#load = settings.mix === undefined ? { ...this.#load, rps: settings.rps } : settings;
      return answers[0]!.body as LoadStatus;
    });
  }

  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped ??= (async () => {
      for (const stage of STOP_STAGES) {
        const replicas = stage.flatMap((service) => this.#replicas.get(service)!);
        await Promise.all(replicas.map((replica) => this.#stopReplica(replica)));
      }
      removeLeasesOf(this.#options.registryDir, this.#pids);
      await this.#control?.close();
      removeLauncherFile(this.#stateDir);
      process.off('exit', this.#exitHook);
      this.#emit({ type: 'stopped', message: 'every replica has stopped' });
    })();
    return this.#stopped;
  }

  /** Runs control operations one at a time, so a scale and a heal never race. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#stopping) {
        throw new ControlError(409, 'ERR_STOPPING', 'the platform is stopping');
      }
      return work();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #emit(event: PlatformEvent): void {
    this.#options.onEvent?.(event);
  }

  #mainFile(service: Service): string {
    return join(this.#options.repoRoot, 'apps', service, 'dist', 'main.js');
  }

  #running(service: Service): Replica[] {
    return this.#replicas
      .get(service)!
      .filter((replica) => replica.state === 'running' && replica.url !== null);
  }

  #find(name: string): Replica {
    const all = SERVICES.flatMap((service) => this.#replicas.get(service)!);
    const replica = all.find((candidate) => candidate.name === name);
    if (!replica) {
      throw new ControlError(
        404,
        'ERR_NO_SUCH_REPLICA',
        `no replica "${name}"; the replicas are ${all.map((known) => known.name).join(', ') || 'none'}`,
      );
    }
    return replica;
  }

  #addReplica(service: Service, index: number): Replica {
    const name = replicaName(service, index);
    const replica = new Replica({
      service,
      index,
      name,
      mainFile: this.#mainFile(service),
      cwd: this.#options.repoRoot,
      logFile: join(this.#logDir, `${name}.log`),
      onExit: (exited, unexpected) => this.#onExit(exited, unexpected),
    });
    this.#replicas.get(service)!.push(replica);
    return replica;
  }

  /** Starts (or starts again) one replica and waits until it is ready; false when it did not get there. */
  async #launch(replica: Replica): Promise<boolean> {
    const env = await this.#environment(replica);
    if (env === undefined || this.#stopping) return false;
    const began = Date.now();
    this.#emit({
      type: 'replica-starting',
      replica: replica.name,
      message: `starting ${replica.name}`,
    });
    const pid = replica.spawn(env);
    if (pid > 0) this.#pids.add(pid);
    const timeoutMs = this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const outcome = await replica.waitUntilReady(
      this.#options.registryDir,
      timeoutMs,
      () => this.#stopping,
    );
    if (outcome === 'ready') {
      const startMs = Date.now() - began;
      this.#emit({
        type: 'replica-ready',
        replica: replica.name,
        url: replica.url!,
        startMs,
        message: `${replica.name} is up at ${replica.url} (${(startMs / 1_000).toFixed(1)} s)`,
      });
      return true;
    }
    if (outcome === 'timed-out') {
      await replica.kill();
      const reason = `not ready within ${timeoutMs / 1_000} s, so it was killed`;
      replica.markFailed(reason);
      this.#emitExit(replica, reason);
    }
    return false;
  }

  /** The replica's environment: the launcher's, the defaults, the caller's extras, then its identity. */
  async #environment(replica: Replica): Promise<NodeJS.ProcessEnv | undefined> {
    const service = replica.service;
    const identity: Record<string, string> = {
      REPLICA: replica.name,
      TRELLIS_REGISTRY_DIR: this.#options.registryDir,
      PORT: '0',
    };
    if (service === 'storefront') {
      const port = await this.#storefrontPort(replica);
      if (port === undefined) return undefined;
      identity['PORT'] = String(port);
      identity['TRELLIS_LAUNCHER_URL'] = this.controlUrl;
    }
    const defaults: Record<string, string> = {
      HOST: '127.0.0.1',
      DRAIN_DELAY_MS: String(this.#drainDelayMs),
    };
    if (service === 'loadgen') {
      if (this.#load.rps !== undefined) defaults['LOAD_RPS'] = String(this.#load.rps);
      if (this.#load.mix !== undefined) defaults['LOAD_MIX'] = this.#load.mix;
    }
    return { ...process.env, ...defaults, ...this.#options.env?.[service], ...identity };
  }

  /** storefront-<n>'s port: the configured one + n - 1, or the next free one after it. */
  async #storefrontPort(replica: Replica): Promise<number | undefined> {
    const base = this.#options.storefrontPort ?? DEFAULT_STOREFRONT_PORT;
    if (base === 0) return 0;
    const wanted = replica.port ?? base + replica.index - 1;
    const reserved = new Set(
      this.#replicas
        .get('storefront')!
        .filter((other) => other !== replica && other.port !== undefined)
        .map((other) => other.port!),
    );
    const port = await firstFreePort(wanted, reserved);
    if (port === undefined) {
      replica.markFailed(`no free port from ${wanted} to ${wanted + 49}`);
      this.#emitExit(replica, `no free port from ${wanted} on`);
      return undefined;
    }
    if (port !== wanted) {
      this.#emit({
        type: 'port-taken',
        replica: replica.name,
        port: wanted,
        using: port,
        message: `port ${wanted} is taken, so ${replica.name} uses ${port}`,
      });
    }
    replica.port = port;
    return port;
  }

  async #setKnobs(replica: Replica, knobs: Partial<Knobs>): Promise<Knobs> {
    if (replica.state !== 'running' || replica.url === null) {
      throw new ControlError(
        409,
        'ERR_REPLICA_DOWN',
        `${replica.name} is ${replica.state}; \`trellis chaos heal ${replica.name}\` starts it again`,
      );
    }
    try {
      return await setKnobs(replica.url, knobs);
    } catch (error) {
      throw new ControlError(
        502,
        'ERR_REPLICA_UNREACHABLE',
        `${replica.name} did not take the knobs: ${(error as Error).message}`,
      );
    }
  }

  async #stopReplica(replica: Replica): Promise<void> {
    if (!replica.alive) return;
    this.#emit({
      type: 'replica-stopping',
      replica: replica.name,
      message: `stopping ${replica.name}`,
    });
    await replica.stop(this.#drainDelayMs + STOP_GRACE_MS);
    this.#emit({
      type: 'replica-stopped',
      replica: replica.name,
      message: `${replica.name} stopped`,
    });
  }

  #onExit(replica: Replica, unexpected: boolean): void {
    // A SIGKILLed process cannot remove its own lease; callers skip it anyway, but tidy up.
    if (replica.pid !== null) removeLeasesOf(this.#options.registryDir, new Set([replica.pid]));
    if (unexpected && !this.#stopping) {
      const how =
        replica.exitSignal != null ? `on ${replica.exitSignal}` : `with code ${replica.exitCode}`;
      this.#emitExit(replica, `exited ${how}`);
    }
  }

  #emitExit(replica: Replica, how: string): void {
    this.#emit({
      type: 'replica-exited',
      replica: replica.name,
      exitCode: replica.exitCode ?? null,
      signal: replica.exitSignal ?? null,
      lastLines: replica.lastLines ?? [],
      logFile: replica.logFile,
      message: `${replica.name} ${how}; its log: ${replica.logFile}`,
    });
  }

  /** The launcher is exiting without `stop()` (a crash, `process.exit`): take the replicas along. */
  #killEverythingNow(): void {
    for (const replicas of this.#replicas.values())
      for (const replica of replicas) replica.killNow();
    removeLeasesOf(this.#options.registryDir, this.#pids);
    removeLauncherFile(this.#stateDir);
  }
}

function readReplicaCounts(requested: PlatformOptions['replicas']): Record<Service, number> {
  const counts = { ...DEFAULT_REPLICAS };
  for (const [service, count] of Object.entries(requested ?? {})) {
    if (!isService(service)) {
      throw new TypeError(`replicas.${service}: not a service; use ${SERVICES.join(', ')}`);
    }
    if (!Number.isInteger(count) || count! < 0 || count! > MAX_REPLICAS) {
      throw new TypeError(`replicas.${service}: use 0 (left out) to ${MAX_REPLICAS}`);
    }
    counts[service] = count!;
  }
  return counts;
}
