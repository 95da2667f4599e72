/* global document */
import { h } from '../dom.js';
import { formatPrice } from '../format.js';
import { loadOrder } from '../checkout-attempt.js';

/** `/orders/:orderId`: the confirmation, from the checkout's answer kept in this tab. */
export function renderOrder(view, orderId) {
  const order = loadOrder(orderId);
  if (!order) {
    view.replaceChildren(
      h('h1', {}, `Order ${orderId}`),
      h(
        'p',
        { class: 'muted' },
        'An order’s confirmation is kept in the browser tab that placed it, and this tab does not have this one.',
      ),
      h('a', { class: 'button', href: '/' }, 'Back to the shop'),
    );
    return;
  }
  document.title = `Order confirmed · Trellis Tea & Coffee`;
  const currency = order.currency && order.currency !== 'EUR' ? ` ${order.currency}` : '';
  const money = (cents) => `${formatPrice(cents ?? 0)}${currency}`;
  const delivery = Number.isInteger(order.days)
    ? `${order.days} ${order.days === 1 ? 'day' : 'days'}`
    : '—';

  view.replaceChildren(
    h(
      'section',
      {
        class: 'confirmation',
        'data-testid': 'order-confirmation',
        'data-order-id': order.orderId,
      },
      h(
        'div',
        { class: 'confirmation-head' },
        h('span', { class: 'check', 'aria-hidden': 'true' }, '✓'),
        h(
          'div',
          {},
          h('h1', {}, 'Thank you, your order is confirmed'),
          h('p', { class: 'muted' }, 'We have charged your card and booked the shipment.'),
        ),
      ),
      h(
        'dl',
        { class: 'facts' },
        fact('Order number', order.orderId, 'order-id'),
        fact('Tracking number', order.trackingNumber ?? '—', 'tracking-number'),
        fact('Carrier', order.carrier ?? '—'),
        fact('Delivery in', delivery),
      ),
      h(
        'table',
        { class: 'order-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Product'),
            h('th', { class: 'num' }, 'Qty'),
            h('th', { class: 'num' }, 'Price'),
            h('th', { class: 'num' }, 'Total'),
          ),
        ),
        h(
          'tbody',
          {},
          ...(order.items ?? []).map((item) =>
            h(
              'tr',
              { 'data-testid': 'order-line', 'data-sku': item.sku },
              h('td', {}, item.name ?? item.sku),
              h('td', { class: 'num' }, String(item.qty)),
              h('td', { class: 'num' }, money(item.unitPriceCents)),
              h('td', { class: 'num' }, money(item.lineCents)),
            ),
          ),
        ),
        h(
          'tfoot',
          {},
          total('Subtotal', money(order.subtotalCents)),
          total('Shipping', money(order.shippingCents)),
          total('Total', money(order.totalCents), 'order-total'),
        ),
      ),
      h('p', {}, h('a', { class: 'button secondary', href: '/' }, 'Continue shopping')),
    ),
  );
}

function fact(label, value, testId) {
  return h(
    'div',
    { class: 'fact' },
    h('dt', {}, label),
    // Identifiers get a monospaced face: they are read and copied, not skimmed.
    h('dd', testId ? { class: 'code', 'data-testid': testId } : {}, value),
  );
}

function total(label, value, testId) {
  return h(
    'tr',
    {},
    h('td', { colspan: 3 }, label),
    h('td', testId ? { class: 'num', 'data-testid': testId } : { class: 'num' }, value),
  );
}
