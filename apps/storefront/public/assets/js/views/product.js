/* global document */
import { api } from '../api.js';
import { h } from '../dom.js';
import { categoryLabel, formatPrice, productArt } from '../format.js';
import { cartCountOf, clearError, setCartCount, showError } from '../layout.js';
import { describeError } from '../messages.js';

const MAX_QTY = 100;

/** `/products/:sku`: the product, a quantity and "Add to cart". */
export async function renderProduct(view, sku) {
  let product;
  try {
    product = await api('GET', `/api/products/${encodeURIComponent(sku)}`);
  } catch (error) {
    if (error.status !== 404 && error.status !== 400) throw error;
    view.replaceChildren(
      h('h1', {}, 'Product not found'),
      h('p', { class: 'muted' }, `We have no product “${sku}”. It may have left the catalog.`),
      h('a', { class: 'button', href: '/' }, 'Back to the shop'),
    );
    return;
  }
  document.title = `${product.name} · Trellis Tea & Coffee`;

  const soldOut = product.stock <= 0;
  const quantity = h('input', {
    id: 'quantity',
    type: 'number',
    class: 'qty-input',
    min: 1,
    max: Math.max(1, Math.min(MAX_QTY, product.stock)),
    value: 1,
    inputmode: 'numeric',
    disabled: soldOut,
    'data-testid': 'quantity',
  });
  const added = h('p', { class: 'notice', role: 'status', hidden: true, 'data-testid': 'added' });
  const button = h(
    'button',
    { type: 'button', class: 'button', disabled: soldOut, 'data-testid': 'add-to-cart' },
    soldOut ? 'Sold out' : 'Add to cart',
  );

  button.addEventListener('click', async () => {
    const wanted = Number(quantity.value);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_QTY) {
      showError(`Choose a quantity from 1 to ${MAX_QTY}.`);
      return;
    }
    button.disabled = true;
    button.textContent = 'Adding…';
    try {
      // The API sets a line's quantity, so adding means: what is there, plus what was chosen.
      const cart = await api('GET', '/api/cart');
      const current = cart.items.find((line) => line.sku === product.sku)?.qty ?? 0;
      const next = Math.min(MAX_QTY, current + wanted);
      const updated = await api('PUT', `/api/cart/items/${encodeURIComponent(product.sku)}`, {
        body: { qty: next },
      });
      setCartCount(cartCountOf(updated));
      clearError();
      const capped =
        next - current < wanted ? ` (a cart holds at most ${MAX_QTY} of one product)` : '';
      added.replaceChildren(
        `Added ${next - current} × ${product.name} to your cart${capped}. `,
        h('a', { href: '/cart' }, 'View cart'),
      );
      added.hidden = false;
    } catch (error) {
      showError(describeError(error));
    } finally {
      button.disabled = false;
      button.textContent = 'Add to cart';
    }
  });

  const stock = soldOut
    ? 'Sold out for now'
    : product.stock < 10
      ? `Only ${product.stock} left`
      : 'In stock, ships in 1–3 days';

  view.replaceChildren(
    h(
      'nav',
      { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '/' }, 'Shop'),
      ' / ',
      h(
        'a',
        { href: `/?category=${encodeURIComponent(product.category)}` },
        categoryLabel(product.category),
      ),
    ),
    h(
      'article',
      { class: 'product-page', 'data-testid': 'product', 'data-sku': product.sku },
      productArt(product.category, product.name, 'large'),
      h(
        'div',
        {},
        h('h1', {}, product.name),
        h('p', { class: 'muted' }, categoryLabel(product.category)),
        h('p', { class: 'price', 'data-testid': 'price' }, formatPrice(product.priceCents)),
        h('p', { class: soldOut || product.stock < 10 ? 'stock-note' : 'muted' }, stock),
        h(
          'div',
          { class: 'buy-row' },
          h('label', { for: 'quantity' }, 'Quantity'),
          quantity,
          button,
        ),
        added,
        h('p', { class: 'muted' }, `SKU ${product.sku}`),
      ),
    ),
  );
}
