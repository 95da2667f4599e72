import { closeSharedRedis, connectSharedRedis } from '@trellis/shop-kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CLAIM_TTL_MS, MAX_LINES, MAX_QTY, sortItems, type CartItem } from './cart.js';
import { claimScript, releaseScript, setItemScript } from './cart-scripts.js';
import {
  CartFullError,
  StoreUnavailableError,
  type CartStore,
  type ClaimOutcome,
  type ReleaseOutcome,
} from './cart-store.js';

export const DEFAULT_KEY_PREFIX = 'trellis:cart:';

export interface RedisCartStoreOptions {
  /** `redis://` or `rediss://`. */
  url: string;
  logger: Logger;
  /** Put in front of every key; default `trellis:cart:`. */
  keyPrefix?: string;
  claimTtlMs?: number;
  /** How long one command may take before the request answers 503; default 2000 ms. */
  commandTimeoutMs?: number;
}

const storedClaim = z.object({
  state: z.enum(['claimed', 'released']),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
});

/**
 * Carts in Redis, shared by every replica: a hash per cart (`<prefix>{<user>}:items`, sku -> qty)
 * and a string per claim (`<prefix>{<user>}:claim:<key>`, JSON, expiring after the claim TTL).
 * Whatever reads and then decides what to write runs as one Lua script, so it is atomic across
 * replicas; removing a line is one MULTI/EXEC. The `{<user>}` hash tag keeps a user's keys in one
 * slot should the data move to Redis Cluster.
 *
 * When Redis cannot be reached, every call fails at once (or after the command timeout) with
 * StoreUnavailableError while the client keeps reconnecting in the background.
 */
export class RedisCartStore implements CartStore {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #keyPrefix: string;
  readonly #claimTtlMs: number;

  constructor(options: RedisCartStoreOptions) {
    this.#logger = options.logger;
    this.#keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#claimTtlMs = options.claimTtlMs ?? CLAIM_TTL_MS;
    this.#redis = connectSharedRedis({
      url: options.url,
      logger: options.logger,
      ...(options.commandTimeoutMs !== undefined && { commandTimeoutMs: options.commandTimeoutMs }),
    });
  }

  async get(userId: string): Promise<CartItem[]> {
    return toItems(await this.#call(() => this.#redis.hgetall(this.#cartKey(userId))));
  }

  async setItem(userId: string, sku: string, qty: number): Promise<CartItem[]> {
    const [outcome, cart] = answer(
      await this.#call(() =>
        setItemScript.run(this.#redis, [this.#cartKey(userId)], [sku, qty, MAX_LINES]),
      ),
    );
    if (outcome === 'full') throw new CartFullError(MAX_LINES);
    return toItems(cart);
  }

  async removeItem(userId: string, sku: string): Promise<CartItem[]> {
    const cartKey = this.#cartKey(userId);
    const results = await this.#call(() =>
      this.#redis.multi().hdel(cartKey, sku).hgetall(cartKey).exec(),
    );
    const [error, cart] = results?.[1] ?? [new Error('the transaction was discarded'), undefined];
    if (error) throw new StoreUnavailableError({ cause: error });
    return toItems(cart);
  }

  async claim(userId: string, key: string): Promise<ClaimOutcome> {
    const [outcome, claim] = answer(
      await this.#call(() =>
        claimScript.run(
          this.#redis,
          [this.#cartKey(userId), this.#claimKey(userId, key)],
          [this.#claimTtlMs],
        ),
      ),
    );
    if (outcome === 'empty') return { kind: 'empty' };
    const { items } = storedClaim.parse(JSON.parse(String(claim)));
    return { kind: outcome === 'claimed' ? 'claimed' : 'replayed', items: sortItems(items) };
  }

  async release(userId: string, key: string): Promise<ReleaseOutcome> {
    const [outcome, cart] = answer(
      await this.#call(() =>
        releaseScript.run(
          this.#redis,
          [this.#cartKey(userId), this.#claimKey(userId, key)],
          [MAX_QTY],
        ),
      ),
    );
    if (outcome === 'unknown') return { kind: 'unknown' };
    return {
      kind: outcome === 'released' ? 'released' : 'already-released',
      cart: toItems(cart),
    };
  }

  async close(): Promise<void> {
    await closeSharedRedis(this.#redis, this.#logger);
  }

  #cartKey(userId: string): string {
    return `${this.#keyPrefix}{${userId}}:items`;
  }

  #claimKey(userId: string, key: string): string {
    return `${this.#keyPrefix}{${userId}}:claim:${key}`;
  }

  /** Runs one round trip; any failure of Redis or the connection becomes a retryable 503. */
  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailableError({ cause: error });
    }
  }
}

/** A script's `{ outcome, payload }` answer. */
function answer(reply: unknown): [string, unknown] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
    throw new Error(`unexpected reply from a cart script: ${JSON.stringify(reply)}`);
  }
  return [reply[0], reply[1]];
}

/** A cart from HGETALL: an object from ioredis's own command, a flat list from a script. */
function toItems(cart: unknown): CartItem[] {
  const entries: Array<[string, unknown]> = Array.isArray(cart)
    ? Array.from({ length: cart.length / 2 }, (_, index) => [
        String(cart[index * 2]),
        cart[index * 2 + 1],
      ])
    : Object.entries((cart ?? {}) as Record<string, unknown>);
  return sortItems(entries.map(([sku, qty]) => ({ sku, qty: Number(qty) })));
}
