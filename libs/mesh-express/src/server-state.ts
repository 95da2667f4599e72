import { InvalidOptionError } from './invalid-option-error.js';
import { optionsObject, optionalString, rejectUnknownKeys } from './option-checks.js';

/** The load-shedding limits, named as their options. */
export type ShedLimit = 'maxConcurrent' | 'maxEventLoopDelayMs';

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface ServerStateOptions {
  /** The service name this process registers under, e.g. `catalog`. */
  service: string;
}

/**
 * What the middleware, the admin routes and `startMeshServer` share about one server: whether it
 * is registered and draining, and how many requests it is handling. Create one per server.
 */
export class ServerState {
  readonly service: string;
  #instance: string | undefined;
  #registered = false;
  #draining = false;
  #inFlight = 0;
  readonly #shed: Record<ShedLimit, number> = { maxConcurrent: 0, maxEventLoopDelayMs: 0 };
  readonly #drainingListeners = new Set<() => void>();

  constructor(options: ServerStateOptions) {
    const checked = optionsObject(options, 'ServerState options');
    rejectUnknownKeys(checked, ['service']);
    const service = optionalString(
      checked['service'],
      'service',
      'the service name, e.g. "catalog"',
    );
    if (service === undefined) {
      throw new InvalidOptionError(
        'service',
        'it is required',
        'pass the name this service is called by, e.g. { service: "catalog" }',
      );
    }
    this.service = service;
  }

  /** The registry's instance id once registered, else undefined. */
  get instance(): string | undefined {
    return this.#instance;
  }

  get registered(): boolean {
    return this.#registered;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being handled right now (counted by `inFlightMiddleware`). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests refused so far, per limit. */
  get shed(): Readonly<Record<ShedLimit, number>> {
    return { ...this.#shed };
  }

  /** Ready means registered and not draining: what `/readyz` answers. */
  readiness(): Readiness {
    if (this.#draining) return { ready: false, reason: 'draining: the server is shutting down' };
    if (!this.#registered) return { ready: false, reason: 'not registered in discovery yet' };
    return { ready: true };
  }

  markRegistered(instance: string): void {
    this.#instance = instance;
    this.#registered = true;
  }

  markDeregistered(): void {
    this.#registered = false;
  }

  /** Readiness fails from now on and responses ask clients to close their connections. */
  startDraining(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const listener of [...this.#drainingListeners]) listener();
  }

  /** Called once when draining starts (at once if it already has); returns the unsubscribe. */
  onDraining(listener: () => void): () => void {
    if (this.#draining) {
      listener();
      return () => undefined;
    }
    this.#drainingListeners.add(listener);
    return () => {
      this.#drainingListeners.delete(listener);
    };
  }

  requestStarted(): void {
    this.#inFlight += 1;
  }

  requestFinished(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  recordShed(limit: ShedLimit): void {
    this.#shed[limit] += 1;
  }
}

/** Option check shared by every factory that takes the state. */
export function requireState(value: unknown, option = 'state'): ServerState {
  if (!(value instanceof ServerState)) {
    throw new InvalidOptionError(
      option,
      value === undefined ? 'it is required' : 'expected a ServerState',
      'create one with new ServerState({ service }) and pass the same one to the middleware, the admin routes and startMeshServer',
    );
  }
  return value;
}
