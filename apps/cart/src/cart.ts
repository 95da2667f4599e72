/** One line of a cart: a product and how many of it. */
export interface CartItem {
  sku: string;
  qty: number;
}

/** The most of one product a cart line holds; putting claimed items back is capped here too. */
export const MAX_QTY = 100;

/** The most distinct products one cart holds, so one user cannot grow a cart without bound. */
export const MAX_LINES = 50;

/** How long a checkout's claim is remembered: retries with its key and put-backs work until then. */
export const CLAIM_TTL_MS = 24 * 60 * 60 * 1_000;

/** Lines in a stable order (by SKU), whichever store they came from. */
export function sortItems(items: CartItem[]): CartItem[] {
  return items.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}
