import type { Mesh } from '@trellis/mesh';
import { readAnswer } from './upstream-answer.js';
import { product, type Cart } from './shop-schemas.js';
import { CALL_TIMEOUT_MS } from './upstreams.js';

/** One line of the cart as the page shows it. */
export interface CartLine {
  sku: string;
  /** The product's name; the SKU when the product is no longer in the catalog. */
  name: string;
  qty: number;
  unitPriceCents: number;
  lineCents: number;
  /** False when the catalog no longer has the product: it is shown, but not counted or sold. */
  available: boolean;
}

export interface CartView {
  userId: string;
  items: CartLine[];
  subtotalCents: number;
}

/**
 * The cart joined with the catalog's names and prices, one lookup per line in parallel. A product
 * the catalog no longer knows shows as unavailable instead of failing the whole cart.
 */
export async function viewCart(mesh: Mesh, cart: Cart): Promise<CartView> {
  const items = await Promise.all(cart.items.map((item) => lineFor(mesh, item)));
  const subtotalCents = items.reduce((sum, line) => sum + line.lineCents, 0);
  return { userId: cart.userId, items, subtotalCents };
}

async function lineFor(mesh: Mesh, item: { sku: string; qty: number }): Promise<CartLine> {
  const response = await mesh.client('catalog').request({
    path: `/products/${encodeURIComponent(item.sku)}`,
    timeoutMs: CALL_TIMEOUT_MS.catalog,
  });
  const answer = await readAnswer(response, product);
  if (!answer.ok) {
    return {
      sku: item.sku,
      name: item.sku,
      qty: item.qty,
      unitPriceCents: 0,
      lineCents: 0,
      available: false,
    };
  }
  const { name, priceCents } = answer.body;
  return {
    sku: item.sku,
    name,
    qty: item.qty,
    unitPriceCents: priceCents,
    lineCents: priceCents * item.qty,
    available: true,
  };
}
