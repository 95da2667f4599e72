import type { Server } from 'node:http';
import type { Registration } from '@trellis/mesh';
import type { ServerLogger } from './logger.js';
import type { ServerState } from './server-state.js';

/** Work to run at shutdown after the server has stopped, e.g. flushing telemetry. */
export type ShutdownHook = () => unknown;

export interface DrainOptions {
  /** How long to keep serving after deregistering, while callers notice; default 5000 ms. */
  delayMs?: number;
  /** How long in-flight requests get to finish once the server stops accepting; default 20000 ms. */
  timeoutMs?: number;
  /** How long `mesh.close()` and the shutdown hooks get, together; default 10000 ms. */
  hooksTimeoutMs?: number;
}

export const DEFAULT_DRAIN_DELAY_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;
export const DEFAULT_HOOKS_TIMEOUT_MS = 10_000;

export interface GracefulDrainContext {
  server: Server;
  state: ServerState;
  registration: Registration;
  /** Closed after the registration when this server created the registry. */
  ownedRegistry: { close(): Promise<void> } | undefined;
  mesh: { close(): Promise<void> } | undefined;
  hooks: readonly ShutdownHook[];
  delayMs: number;
  timeoutMs: number;
  hooksTimeoutMs: number;
  signals: readonly NodeJS.Signals[];
  exit: (code: number) => void;
  logger: ServerLogger;
}

/**
 * The shutdown sequence, run once on the first SIGTERM/SIGINT or `drain()`: fail readiness and
 * leave discovery, keep serving while callers notice, stop accepting and let in-flight requests
 * finish, close the mesh, run the hooks, exit. A second signal exits at once with 1.
 */
export class GracefulDrain {
  readonly #context: GracefulDrainContext;
  readonly #onSignal: (signal: NodeJS.Signals) => void;
  #drain: Promise<number> | undefined;
  #exited = false;

  constructor(context: GracefulDrainContext) {
    this.#context = context;
    this.#onSignal = (signal) => this.#signalled(signal);
    for (const signal of context.signals) process.on(signal, this.#onSignal);
  }

  get started(): boolean {
    return this.#drain !== undefined;
  }

  /** Starts the drain (once; later calls return the same promise), resolving with the exit code. */
  drain(reason = 'drain() called'): Promise<number> {
    this.#drain ??= this.#run(reason);
    return this.#drain;
  }

  #signalled(signal: NodeJS.Signals): void {
    if (!this.#drain) {
      this.#context.logger.info({ signal }, `Received ${signal}: draining before exit`);
      void this.drain(signal);
      return;
    }
    this.#context.logger.warn(
      { signal, inFlight: this.#context.state.inFlight },
      `Received ${signal} again while draining: exiting now with code 1`,
    );
    this.#exit(1);
  }

  async #run(reason: string): Promise<number> {
    const { server, state, registration, logger, delayMs, timeoutMs } = this.#context;
    const startedAt = Date.now();
    let failed = false;

    // 1. Readiness fails and callers stop picking this instance.
    state.startDraining();
    logger.info(
      {
        reason,
        service: state.service,
        instance: registration.instanceId,
        inFlight: state.inFlight,
      },
      'Drain step 1: readiness fails; marking the registration draining, then removing it',
    );
    try {
      await registration.setDraining(true);
      await registration.deregister();
      await this.#context.ownedRegistry?.close();
      state.markDeregistered();
    } catch (error) {
      failed = true;
      logger.error(
        { err: error },
        'Could not deregister; callers drop this instance when its lease expires',
      );
    }

    // 2. Keep serving while callers (and load balancers, kube-proxy) catch up.
    logger.info({ delayMs }, `Drain step 2: still serving for ${delayMs} ms while callers notice`);
    await sleep(delayMs);

    // 3. Stop accepting; finish what is in flight.
    logger.info(
      { inFlight: state.inFlight, timeoutMs },
      'Drain step 3: stopped accepting connections; finishing in-flight requests',
    );
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if ((await withTimeout(closed, timeoutMs)) !== 'timeout') {
      logger.info({}, 'All connections closed');
    } else {
      logger.warn(
        { inFlight: state.inFlight, timeoutMs },
        `In-flight requests still running after ${timeoutMs} ms: closing their connections`,
      );
      server.closeAllConnections();
      await closed;
    }

    // 4. Close the mesh, then the hooks (telemetry flush last sees everything).
    logger.info({}, 'Drain step 4: closing the mesh and running the shutdown hooks');
    const hooksDone = await withTimeout(this.#closeAndRunHooks(), this.#context.hooksTimeoutMs);
    if (hooksDone === 'timeout') {
      failed = true;
      logger.error(
        { hooksTimeoutMs: this.#context.hooksTimeoutMs },
        'The mesh or a shutdown hook did not finish in time',
      );
    } else if (!hooksDone) {
      failed = true;
    }

    const code = failed ? 1 : 0;
    logger.info(
      { code, durationMs: Date.now() - startedAt },
      `Drain complete: exiting with code ${code}`,
    );
    for (const signal of this.#context.signals) process.off(signal, this.#onSignal);
    this.#exit(code);
    return code;
  }

  /** True when the mesh and every hook succeeded; failures are logged and the rest still run. */
  async #closeAndRunHooks(): Promise<boolean> {
    const { mesh, hooks, logger } = this.#context;
    let ok = true;
    try {
      await mesh?.close();
    } catch (error) {
      ok = false;
      logger.error({ err: error }, 'Closing the mesh failed');
    }
    for (const [index, hook] of hooks.entries()) {
      try {
        await hook();
      } catch (error) {
        ok = false;
        logger.error({ err: error, hook: index }, 'A shutdown hook failed');
      }
    }
    return ok;
  }

  #exit(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#context.exit(code);
  }
}

/** A ref'ed timer on purpose: the drain must run to its end even when nothing else is left. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
