import { DependencyUnavailableError } from '@trellis/shop-kit';
import type { CartItem } from './cart.js';

/** What claiming a cart for a checkout did. */
export type ClaimOutcome =
  /** The cart's items now belong to this checkout and the cart is empty. */
  | { kind: 'claimed'; items: CartItem[] }
  /** This key claimed items before: nothing changed, here are the items it claimed then. */
  | { kind: 'replayed'; items: CartItem[] }
  /** The cart is empty and this key has claimed nothing. */
  | { kind: 'empty' };

/** What putting a checkout's items back did; `cart` is the cart afterwards. */
export type ReleaseOutcome =
  | { kind: 'released'; cart: CartItem[] }
  /** The items went back before: nothing changed. */
  | { kind: 'already-released'; cart: CartItem[] }
  /** No claim under this key (never made, or expired). */
  | { kind: 'unknown' };

/**
 * Carts per user and the claims checkouts make on them. Every method is atomic: concurrent calls
 * (on one replica, or on several sharing one store) never see or leave half an update.
 */
export interface CartStore {
  /** The user's lines, by SKU; an unknown user has none. */
  get(userId: string): Promise<CartItem[]>;
  /** Sets one line's quantity; throws CartFullError for a new line in a full cart. */
  setItem(userId: string, sku: string, qty: number): Promise<CartItem[]>;
  /** Removes one line (a missing line is fine). */
  removeItem(userId: string, sku: string): Promise<CartItem[]>;
  /** Moves every line into a claim under `key`, once per key. */
  claim(userId: string, key: string): Promise<ClaimOutcome>;
  /** Puts a claim's lines back into the cart (quantities added, capped), once per claim. */
  release(userId: string, key: string): Promise<ReleaseOutcome>;
  /** Releases connections; the store answers nothing afterwards. */
  close(): Promise<void>;
}

/** A new line would take the cart over its limit of distinct products. */
export class CartFullError extends Error {
  readonly code = 'ERR_CART_FULL';
  constructor(readonly maxLines: number) {
    super(`a cart holds at most ${maxLines} different products: remove one before adding another`);
    this.name = 'CartFullError';
  }
}

/** The store's backend cannot be reached right now; the request may be retried. */
export class StoreUnavailableError extends DependencyUnavailableError {
  constructor(options: { cause: unknown }) {
    super(
      'ERR_CART_STORE_UNAVAILABLE',
      'the cart store (Redis) is unavailable right now; retry shortly',
      options,
    );
    this.name = 'StoreUnavailableError';
  }
}
