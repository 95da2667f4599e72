import { Pool } from 'undici';
import { endpointOrigin, type Endpoint } from '../endpoint.js';
import type { MeshLogger } from '../logger.js';

export interface PoolOptions {
  /** Connections kept per endpoint at most. */
  connectionsPerEndpoint: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const defaultPoolOptions: PoolOptions = {
  connectionsPerEndpoint: 64,
  connectTimeoutMs: 2_000,
  keepAliveTimeoutMs: 4_000,
};

/**
 * One undici Pool per endpoint. Retiring an endpoint closes its pool gracefully: requests already
 * dispatched finish, then the sockets close, so a discovery update never drops a request.
 */
export class EndpointPools {
  readonly #pools = new Map<string, Pool>();
  readonly #closing = new Set<Promise<void>>();

  constructor(
    private readonly upstream: string,
    private readonly options: PoolOptions,
    private readonly logger: MeshLogger,
  ) {}

  get size(): number {
    return this.#pools.size;
  }

  /** The pool for an endpoint, created on first use. */
  poolFor(key: string, endpoint: Endpoint): Pool {
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new Pool(endpointOrigin(endpoint), {
        connections: this.options.connectionsPerEndpoint,
        connect: { timeout: this.options.connectTimeoutMs },
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        // The call's deadline owns time; undici's own header/body timers stay out of the way.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Stops new use of an endpoint's pool and closes it once its in-flight requests finish. */
  retire(key: string): void {
    const pool = this.#pools.get(key);
    if (!pool) return;
    this.#pools.delete(key);
    const closing = pool
      .close()
      .catch((error: unknown) =>
        this.logger.warn(
          { upstream: this.upstream, endpoint: key, err: error },
          'closing a retired endpoint pool failed',
        ),
      )
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** Retired pools still finishing their requests (for drain observation in tests and admin views). */
  get draining(): number {
    return this.#closing.size;
  }

  /** Closes every pool gracefully, or destroys them when `force` is set. */
  async close(force = false): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all([
      ...pools.map((pool) => (force ? pool.destroy() : pool.close())),
      ...this.#closing,
    ]);
  }
}
