/* global document */
import { api } from './api.js';

const banner = () => document.querySelector('[data-testid="error-banner"]');
const badge = () => document.querySelector('[data-testid="cart-count"]');

/** Shows a message in plain words in the page's error banner. */
export function showError(message) {
  const element = banner();
  element.querySelector('.error-text').textContent = message;
  element.hidden = false;
  element.scrollIntoView({ block: 'nearest' });
}

export function clearError() {
  banner().hidden = true;
}

export function wireErrorBanner() {
  banner()
    .querySelector('.error-dismiss')
    .addEventListener('click', () => clearError());
}

/** How many items a cart holds, for the badge. */
export function cartCountOf(cart) {
  return cart.items.reduce((sum, line) => sum + line.qty, 0);
}

export function setCartCount(count) {
  const element = badge();
  element.textContent = String(count);
  element.classList.toggle('is-empty', count === 0);
  element.setAttribute('aria-label', `${count} ${count === 1 ? 'item' : 'items'} in cart`);
}

/** Reads the cart for the badge; when that fails the badge keeps its value and the page goes on. */
export async function refreshCartCount() {
  try {
    setCartCount(cartCountOf(await api('GET', '/api/cart')));
  } catch {
    // The page's own content matters more than the badge.
  }
}

/** Marks the header link of the current section. */
export function markNav(section) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}
