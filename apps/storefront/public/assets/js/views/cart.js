import { api } from '../api.js';
import { h } from '../dom.js';
import { categoryOfSku, formatPrice, productArt } from '../format.js';
import { cartCountOf, clearError, setCartCount, showError } from '../layout.js';
import { describeError } from '../messages.js';

/** `/cart`: change quantities, remove lines, see the subtotal, go to checkout. */
export async function renderCart(view) {
  const draw = (cart) => {
    setCartCount(cartCountOf(cart));
    if (cart.items.length === 0) {
      view.replaceChildren(h('h1', {}, 'Your cart'), emptyCart());
      return;
    }
    view.replaceChildren(
      h('h1', {}, 'Your cart'),
      h(
        'div',
        { class: 'cart-layout' },
        h('ul', { class: 'cart-lines' }, ...cart.items.map((line) => cartLine(line))),
        summary(cart),
      ),
    );
  };

  // Each change answers the whole cart again, priced; the page is redrawn from it.
  const change = async (request) => {
    view.setAttribute('aria-busy', 'true');
    try {
      draw(await request());
      clearError();
    } catch (error) {
      showError(describeError(error));
      draw(await api('GET', '/api/cart'));
    } finally {
      view.removeAttribute('aria-busy');
    }
  };

  const cartLine = (line) => {
    const path = `/api/cart/items/${encodeURIComponent(line.sku)}`;
    const quantity = h('input', {
      type: 'number',
      class: 'qty-input',
      min: 1,
      max: 100,
      value: line.qty,
      inputmode: 'numeric',
      disabled: !line.available,
      'aria-label': `Quantity of ${line.name}`,
      'data-testid': 'cart-qty',
    });
    quantity.addEventListener('change', () => {
      const qty = Number(quantity.value);
      if (!Number.isInteger(qty) || qty < 1 || qty > 100) {
        showError('Choose a quantity from 1 to 100, or remove the line.');
        quantity.value = String(line.qty);
        return;
      }
      void change(() => api('PUT', path, { body: { qty } }));
    });
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        'data-testid': 'remove-line',
        onclick: () => void change(() => api('DELETE', path)),
      },
      'Remove',
    );
    const name = line.available
      ? h('a', { class: 'line-name', href: `/products/${encodeURIComponent(line.sku)}` }, line.name)
      : h('span', { class: 'line-name' }, line.name);
    return h(
      'li',
      {
        class: line.available ? 'cart-line' : 'cart-line unavailable',
        'data-testid': 'cart-line',
        'data-sku': line.sku,
      },
      productArt(categoryOfSku(line.sku), line.name, 'small'),
      h(
        'div',
        {},
        name,
        h(
          'div',
          { class: 'muted' },
          line.available ? `${formatPrice(line.unitPriceCents)} each` : 'No longer available',
        ),
        remove,
      ),
      quantity,
      h('span', { class: 'line-total' }, line.available ? formatPrice(line.lineCents) : '—'),
    );
  };

  draw(await api('GET', '/api/cart'));
}

function summary(cart) {
  const unavailable = cart.items.some((line) => !line.available);
  const count = cart.items
    .filter((line) => line.available)
    .reduce((sum, line) => sum + line.qty, 0);
  const checkout = unavailable
    ? h(
        'button',
        { type: 'button', class: 'button', disabled: true, 'data-testid': 'go-to-checkout' },
        'Checkout',
      )
    : h('a', { class: 'button', href: '/checkout', 'data-testid': 'go-to-checkout' }, 'Checkout');
  return h(
    'aside',
    { class: 'summary', 'aria-label': 'Summary' },
    h('h2', {}, 'Summary'),
    h(
      'div',
      { class: 'summary-row' },
      h('span', {}, `Items (${count})`),
      h('span', {}, formatPrice(cart.subtotalCents)),
    ),
    h(
      'div',
      { class: 'summary-row muted' },
      h('span', {}, 'Shipping'),
      h('span', {}, 'at checkout'),
    ),
    h(
      'div',
      { class: 'summary-row total' },
      h('span', {}, 'Subtotal'),
      h('span', { 'data-testid': 'cart-subtotal' }, formatPrice(cart.subtotalCents)),
    ),
    unavailable
      ? h(
          'p',
          { class: 'stock-note' },
          'Remove the items that are no longer available to check out.',
        )
      : null,
    checkout,
  );
}

function emptyCart() {
  return h(
    'div',
    { class: 'empty', 'data-testid': 'cart-empty' },
    h('p', {}, 'Your cart is empty.'),
    h('a', { class: 'button', href: '/' }, 'Browse the shop'),
  );
}
