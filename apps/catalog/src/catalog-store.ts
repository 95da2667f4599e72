import type { Product } from './products.js';

/** Stock is short: a reservation asked for more than is left. */
export class OutOfStockError extends Error {
  readonly code = 'ERR_OUT_OF_STOCK';
  constructor(
    readonly sku: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`Only ${available} of ${sku} left, ${requested} requested`);
  }
}

/** The catalog in memory: products by SKU, and stock that reservations take from. */
export class CatalogStore {
  readonly #products: Map<string, Product>;

  constructor(products: readonly Product[]) {
    this.#products = new Map(products.map((product) => [product.sku, { ...product }]));
  }

  list(filter: { category?: string; query?: string; limit: number }): Product[] {
    const query = filter.query?.toLowerCase();
    return [...this.#products.values()]
      .filter((product) => !filter.category || product.category === filter.category)
      .filter((product) => !query || product.name.toLowerCase().includes(query))
      .slice(0, filter.limit);
  }

  get(sku: string): Product | undefined {
    return this.#products.get(sku);
  }

  /** Takes `qty` from stock, all or nothing. */
  reserve(sku: string, qty: number): Product | undefined {
    const product = this.#products.get(sku);
    if (!product) return undefined;
    if (product.stock < qty) throw new OutOfStockError(sku, qty, product.stock);
    product.stock -= qty;
    return product;
  }
}
