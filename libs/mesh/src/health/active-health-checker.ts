import { Client } from 'undici';
import { endpointOrigin, type Endpoint } from '../endpoint.js';
import { MeshConfigError } from '../errors.js';
import type { MeshLogger } from '../logger.js';

export interface ActiveHealthCheckOptions {
  /** Path of the health endpoint, e.g. '/readyz'; must start with '/'. */
  path: string;
  /** Time between the end of one check and the start of the next; default 5_000. */
  intervalMs?: number;
  /** Time one check may take, connect to last body byte; default 1_000. */
  timeoutMs?: number;
  /** Consecutive passes for an unhealthy endpoint to become healthy again; default 2. */
  healthyThreshold?: number;
  /** Consecutive failures for a healthy endpoint to become unhealthy; default 3. */
  unhealthyThreshold?: number;
}

export interface ActiveHealthEvents {
  onUnhealthy(key: string): void;
  onHealthy(key: string): void;
}

const INVALID_HEALTH_CHECK_OPTIONS = 'ERR_INVALID_HEALTH_CHECK_OPTIONS';
/** A health answer is small; anything past this is read no further. */
const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

type ResolvedOptions = Required<ActiveHealthCheckOptions>;

type CheckResult = { passed: true } | { passed: false; reason: string };

/** The checks of one endpoint: one connection, one check at a time, and its health verdict. */
class EndpointCheck {
  readonly origin: string;
  healthy = true;
  #passes = 0;
  #failures = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: AbortController | undefined;
  readonly #client: Client;

  constructor(
    readonly key: string,
    endpoint: Endpoint,
    private readonly options: ResolvedOptions,
    private readonly events: ActiveHealthEvents,
    private readonly logger: MeshLogger,
  ) {
    this.origin = endpointOrigin(endpoint);
    this.#client = new Client(this.origin, {
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    // Jittered so endpoints added together are not all checked in the same instant.
    this.#schedule(Math.random() * (options.intervalMs / 10));
  }

  /** Stops scheduling, abandons a check in flight and closes the connection. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#inFlight?.abort();
    await this.#client.destroy().catch((error: unknown) => {
      this.logger.debug({ endpoint: this.key, err: error }, 'closing a health check client failed');
    });
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#run(), delayMs);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    const result = await this.#check();
    if (this.#stopped) return;
    this.#record(result);
    this.#schedule(this.options.intervalMs);
  }

  async #check(): Promise<CheckResult> {
    const controller = new AbortController();
    this.#inFlight = controller;
    const deadline = setTimeout(() => controller.abort(), this.options.timeoutMs);
    deadline.unref();
    try {
      const { statusCode, body } = await this.#client.request({
        method: 'GET',
        path: this.options.path,
        headers: { 'user-agent': 'trellis-mesh-health-check' },
        signal: controller.signal,
      });
      await body.dump({ limit: MAX_BODY_BYTES });
      if (statusCode >= 200 && statusCode < 300) return { passed: true };
      return { passed: false, reason: `status ${statusCode}` };
    } catch (error) {
      if (controller.signal.aborted && !this.#stopped) {
        return { passed: false, reason: `no answer within ${this.options.timeoutMs} ms` };
      }
      const code = (error as { code?: string } | undefined)?.code;
      const message = error instanceof Error ? error.message : String(error);
      return { passed: false, reason: code ? `${message} [${code}]` : message };
    } finally {
      clearTimeout(deadline);
      this.#inFlight = undefined;
    }
  }

  #record(result: CheckResult): void {
    const fields = { endpoint: this.key, path: this.options.path };
    if (result.passed) {
      this.#failures = 0;
      this.#passes += 1;
      if (!this.healthy && this.#passes >= this.options.healthyThreshold) {
        this.healthy = true;
        this.logger.info(fields, 'endpoint passes its health checks again');
        this.#notify(() => this.events.onHealthy(this.key));
      }
      return;
    }
    this.#passes = 0;
    this.#failures += 1;
    this.logger.debug({ ...fields, reason: result.reason }, 'health check failed');
    if (this.healthy && this.#failures >= this.options.unhealthyThreshold) {
      this.healthy = false;
      this.logger.warn(
        { ...fields, reason: result.reason, failures: this.#failures },
        'endpoint fails its health checks',
      );
      this.#notify(() => this.events.onUnhealthy(this.key));
    }
  }

  #notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger.error({ endpoint: this.key, err: error }, 'a health event handler threw');
    }
  }
}

/**
 * Active health checks: a periodic HTTP GET per endpoint, with hysteresis so one lost check
 * does not flip an endpoint and one lucky check does not bring it back.
 */
export class ActiveHealthChecker {
  readonly #options: ResolvedOptions;
  readonly #checks = new Map<string, EndpointCheck>();
  readonly #stopping = new Set<Promise<void>>();
  #closed = false;

  constructor(
    options: ActiveHealthCheckOptions,
    private readonly events: ActiveHealthEvents,
    private readonly logger: MeshLogger,
  ) {
    this.#options = resolveHealthCheckOptions(options);
  }

  /** Starts checks for new endpoints and stops those of endpoints that left. */
  setEndpoints(endpoints: ReadonlyArray<{ key: string; endpoint: Endpoint }>): void {
    if (this.#closed) return;
    const next = new Map(endpoints.map(({ key, endpoint }) => [key, endpoint]));
    for (const [key, check] of this.#checks) {
      const endpoint = next.get(key);
      if (!endpoint || endpointOrigin(endpoint) !== check.origin) this.#stop(key, check);
    }
    for (const [key, endpoint] of next) {
      if (!this.#checks.has(key)) {
        this.#checks.set(
          key,
          new EndpointCheck(key, endpoint, this.#options, this.events, this.logger),
        );
      }
    }
  }

  /** Endpoints start healthy; keys that are not checked count as healthy. */
  isHealthy(key: string): boolean {
    return this.#checks.get(key)?.healthy ?? true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const [key, check] of this.#checks) this.#stop(key, check);
    await Promise.all([...this.#stopping]);
  }

  #stop(key: string, check: EndpointCheck): void {
    this.#checks.delete(key);
    const stopping = check.stop().finally(() => this.#stopping.delete(stopping));
    this.#stopping.add(stopping);
  }
}

function resolveHealthCheckOptions(options: ActiveHealthCheckOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOptions(
      `Health check options must be an object, got ${String(options)}`,
      "pass an object such as { path: '/readyz' }",
    );
  }
  const { path } = options;
  if (typeof path !== 'string' || !REQUEST_TARGET.test(path)) {
    throw invalidOptions(
      `Health check path must be a string starting with '/' without spaces, got ${JSON.stringify(path)}`,
      "set path to the endpoint's health route, e.g. '/readyz'",
    );
  }
  return {
    path,
    intervalMs: positive('intervalMs', options.intervalMs, 5_000),
    timeoutMs: positive('timeoutMs', options.timeoutMs, 1_000),
    healthyThreshold: countOf('healthyThreshold', options.healthyThreshold, 2),
    unhealthyThreshold: countOf('unhealthyThreshold', options.unhealthyThreshold, 3),
  };
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidOptions(
      `${name} must be a finite number of milliseconds > 0, got ${describe(value)}`,
      `set ${name} to a finite number > 0, or leave it out for the default ${fallback}`,
    );
  }
  return value;
}

function countOf(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidOptions(
      `${name} must be an integer >= 1, got ${describe(value)}`,
      `set ${name} to a count of consecutive checks >= 1, or leave it out for the default ${fallback}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'number' || value === null ? String(value) : JSON.stringify(value);
}

function invalidOptions(message: string, advice: string): MeshConfigError {
  return new MeshConfigError(INVALID_HEALTH_CHECK_OPTIONS, message, { advice });
}
