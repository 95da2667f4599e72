import { CLAIM_TTL_MS, MAX_LINES, MAX_QTY, sortItems, type CartItem } from './cart.js';
import {
  CartFullError,
  type CartStore,
  type ClaimOutcome,
  type ReleaseOutcome,
} from './cart-store.js';

export interface MemoryCartStoreOptions {
  claimTtlMs?: number;
  /** The clock claims expire by (ms). */
  now?: () => number;
}

interface Claim {
  items: CartItem[];
  released: boolean;
  expiresAt: number;
}

/**
 * Carts in this process's memory: each replica has its own, which works because callers route
 * every user to one replica by consistent hash. Each method runs without awaiting, so it is atomic.
 */
export class MemoryCartStore implements CartStore {
  readonly #carts = new Map<string, Map<string, number>>();
  /** By user and key; in the order made, which with one TTL is also the order they expire in. */
  readonly #claims = new Map<string, Claim>();
  readonly #claimTtlMs: number;
  readonly #now: () => number;

  constructor(options: MemoryCartStoreOptions = {}) {
    this.#claimTtlMs = options.claimTtlMs ?? CLAIM_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  async get(userId: string): Promise<CartItem[]> {
    return this.#lines(userId);
  }

  async setItem(userId: string, sku: string, qty: number): Promise<CartItem[]> {
    const cart = this.#carts.get(userId) ?? new Map<string, number>();
    if (!cart.has(sku) && cart.size >= MAX_LINES) throw new CartFullError(MAX_LINES);
    cart.set(sku, qty);
    this.#carts.set(userId, cart);
    return this.#lines(userId);
  }

  async removeItem(userId: string, sku: string): Promise<CartItem[]> {
    const cart = this.#carts.get(userId);
    cart?.delete(sku);
    if (cart?.size === 0) this.#carts.delete(userId);
    return this.#lines(userId);
  }

  async claim(userId: string, key: string): Promise<ClaimOutcome> {
    const existing = this.#liveClaim(userId, key);
    if (existing) return { kind: 'replayed', items: copy(existing.items) };
    const items = this.#lines(userId);
    if (items.length === 0) return { kind: 'empty' };
    this.#claims.set(claimId(userId, key), {
      items: copy(items),
      released: false,
      expiresAt: this.#now() + this.#claimTtlMs,
    });
    this.#carts.delete(userId);
    return { kind: 'claimed', items };
  }

  async release(userId: string, key: string): Promise<ReleaseOutcome> {
    const claim = this.#liveClaim(userId, key);
    if (!claim) return { kind: 'unknown' };
    if (claim.released) return { kind: 'already-released', cart: this.#lines(userId) };
    const cart = this.#carts.get(userId) ?? new Map<string, number>();
    // Every claimed line goes back, even past MAX_LINES: a declined payment must not lose items.
    for (const { sku, qty } of claim.items)
      cart.set(sku, Math.min((cart.get(sku) ?? 0) + qty, MAX_QTY));
    this.#carts.set(userId, cart);
    claim.released = true;
    return { kind: 'released', cart: this.#lines(userId) };
  }

  async close(): Promise<void> {
    // Nothing to release: the carts live and die with the process.
  }

  #lines(userId: string): CartItem[] {
    const cart = this.#carts.get(userId);
    return sortItems([...(cart ?? [])].map(([sku, qty]) => ({ sku, qty })));
  }

  /** The claim under this key unless it has expired; forgets the expired ones on the way. */
  #liveClaim(userId: string, key: string): Claim | undefined {
    const now = this.#now();
    for (const [id, claim] of this.#claims) {
      if (claim.expiresAt > now) break;
      this.#claims.delete(id);
    }
    const claim = this.#claims.get(claimId(userId, key));
    // Checked again in case the clock stepped back and broke the expiry order.
    return claim && claim.expiresAt > now ? claim : undefined;
  }
}

/** A newline cannot occur in a user id or a key, so the pair maps to one string unambiguously. */
function claimId(userId: string, key: string): string {
  return `${userId}\n${key}`;
}

function copy(items: CartItem[]): CartItem[] {
  return items.map((item) => ({ ...item }));
}
