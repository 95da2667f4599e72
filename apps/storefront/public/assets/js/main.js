/* global document, location */
// The shop's pages: the server answers every page path with the same shell, and this script
// draws the page for the path.
import { h } from './dom.js';
import { markNav, refreshCartCount, showError, wireErrorBanner } from './layout.js';
import { describeError } from './messages.js';
import { renderCart } from './views/cart.js';
import { renderCheckout } from './views/checkout.js';
import { renderHome } from './views/home.js';
import { renderNotFound } from './views/not-found.js';
import { renderOrder } from './views/order.js';
import { renderProduct } from './views/product.js';

// [path, view, header section, whether the view reads the cart itself (and sets the badge)]
const PAGES = [
  [/^\/$/, renderHome, 'shop', false],
  [/^\/products\/([^/]+)$/, renderProduct, 'shop', false],
  [/^\/cart$/, renderCart, 'cart', true],
  [/^\/checkout$/, renderCheckout, 'cart', true],
  [/^\/orders\/([^/]+)$/, renderOrder, '', false],
];

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function start() {
  wireErrorBanner();
  const view = document.getElementById('view');
  const path = location.pathname.length > 1 ? location.pathname.replace(/\/+$/, '') : '/';
  const page = PAGES.find(([pattern]) => pattern.test(path));
  if (!page) {
    markNav('');
    void refreshCartCount();
    renderNotFound(view);
    return;
  }
  const [pattern, render, section, readsCart] = page;
  markNav(section);
  if (!readsCart) void refreshCartCount();
  const parameter = pattern.exec(path)[1];
  try {
    await render(view, parameter === undefined ? undefined : decode(parameter));
  } catch (error) {
    showError(describeError(error));
    view.replaceChildren(
      h(
        'p',
        { class: 'empty' },
        'This page could not be loaded. ',
        h('a', { href: location.href }, 'Try again'),
      ),
    );
  }
}

void start();
