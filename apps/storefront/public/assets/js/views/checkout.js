/* global location, FormData */
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatPrice } from '../format.js';
import { checkoutAttemptKey, endCheckoutAttempt, saveOrder } from '../checkout-attempt.js';
import { cartCountOf, clearError, refreshCartCount, setCartCount, showError } from '../layout.js';
import { describeError } from '../messages.js';

// A demo address, so an order is one click away.
const DEMO_ADDRESS = {
  name: 'Ada Lovelace',
  line1: 'Keizersgracht 123',
  city: 'Amsterdam',
  postcode: '1015 CJ',
  country: 'NL',
};

const COUNTRIES = [
  ['AT', 'Austria'],
  ['BE', 'Belgium'],
  ['DK', 'Denmark'],
  ['FR', 'France'],
  ['DE', 'Germany'],
  ['IE', 'Ireland'],
  ['IT', 'Italy'],
  ['NL', 'Netherlands'],
  ['PT', 'Portugal'],
  ['ES', 'Spain'],
  ['SE', 'Sweden'],
  ['CH', 'Switzerland'],
  ['GB', 'United Kingdom'],
  ['US', 'United States'],
];

const PAYMENT_TOKENS = [
  ['tok_visa', 'Visa ending 4242 (approved)'],
  ['tok_decline', 'Visa ending 0002 (declined)'],
];

/** `/checkout`: the address, the card, and "Place order". */
export async function renderCheckout(view) {
  const cart = await api('GET', '/api/cart');
  setCartCount(cartCountOf(cart));
  if (cart.items.length === 0) {
    view.replaceChildren(
      h('h1', {}, 'Checkout'),
      h(
        'div',
        { class: 'empty', 'data-testid': 'cart-empty' },
        h('p', {}, 'Your cart is empty: add something before you check out.'),
        h('a', { class: 'button', href: '/' }, 'Browse the shop'),
      ),
    );
    return;
  }

  const placeOrder = h(
    'button',
    { type: 'submit', class: 'button', 'data-testid': 'place-order' },
    'Place order',
  );
  const form = h(
    'form',
    { class: 'form-card', 'data-testid': 'checkout-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Shipping address'),
      h(
        'div',
        { class: 'field-grid' },
        field('Full name', 'name', 'name', 100, true),
        field('Street and number', 'line1', 'address-line1', 200, true),
        field('City', 'city', 'address-level2', 100),
        field('Postcode', 'postcode', 'postal-code', 20),
        h(
          'label',
          { class: 'field wide' },
          'Country',
          h(
            'select',
            { name: 'country', autocomplete: 'country', required: true },
            ...COUNTRIES.map(([code, name]) =>
              h('option', { value: code, selected: code === DEMO_ADDRESS.country }, name),
            ),
          ),
        ),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Payment'),
      h(
        'label',
        { class: 'field' },
        'Card',
        h(
          'select',
          { name: 'paymentToken', 'data-testid': 'payment-token' },
          ...PAYMENT_TOKENS.map(([token, label]) => h('option', { value: token }, label)),
        ),
        h(
          'span',
          { class: 'hint' },
          'A demo: no real money moves. Choose the declined card to see a payment fail.',
        ),
      ),
    ),
    placeOrder,
  );

  let placing = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // A second click while the first is under way sends nothing; a retry later reuses the key.
    if (placing) return;
    placing = true;
    placeOrder.disabled = true;
    placeOrder.textContent = 'Placing order…';
    const data = new FormData(form);
    const value = (name) => String(data.get(name) ?? '').trim();
    try {
      const order = await api('POST', '/api/checkout', {
        headers: { 'Idempotency-Key': checkoutAttemptKey() },
        body: {
          address: {
            name: value('name'),
            line1: value('line1'),
            city: value('city'),
            postcode: value('postcode'),
            country: value('country'),
          },
          paymentToken: value('paymentToken'),
        },
      });
      endCheckoutAttempt();
      saveOrder(order);
      clearError();
      location.assign(`/orders/${encodeURIComponent(order.orderId)}`);
      return;
    } catch (error) {
      // A refusal is final (the next try is a new checkout); a failure may be retried as is.
      if (error.status >= 400 && error.status < 500) endCheckoutAttempt();
      showError(describeError(error, 'checkout'));
      if (error.status === 402) void refreshCartCount();
    }
    placing = false;
    placeOrder.disabled = false;
    placeOrder.textContent = 'Place order';
  });

  view.replaceChildren(
    h('h1', {}, 'Checkout'),
    h('div', { class: 'checkout-layout' }, form, orderSummary(cart)),
  );
}

function field(label, name, autocomplete, maxlength, wide = false) {
  return h(
    'label',
    { class: wide ? 'field wide' : 'field' },
    label,
    h('input', {
      name,
      autocomplete,
      maxlength,
      required: true,
      value: DEMO_ADDRESS[name],
    }),
  );
}

function orderSummary(cart) {
  return h(
    'aside',
    { class: 'summary', 'aria-label': 'Your order' },
    h('h2', {}, 'Your order'),
    h(
      'ul',
      { class: 'summary-lines' },
      ...cart.items.map((line) =>
        h(
          'li',
          { class: 'summary-row' },
          h('span', {}, `${line.qty} × ${line.name}`),
          h('span', {}, line.available ? formatPrice(line.lineCents) : 'unavailable'),
        ),
      ),
    ),
    h(
      'div',
      { class: 'summary-row total' },
      h('span', {}, 'Subtotal'),
      h('span', {}, formatPrice(cart.subtotalCents)),
    ),
    h('p', { class: 'hint' }, 'Shipping is added when the order is placed.'),
    h('p', {}, h('a', { href: '/cart' }, 'Change the cart')),
  );
}
