import { h } from '../dom.js';

/** Any other path: the server answered 404 with the shell. */
export function renderNotFound(view) {
  view.replaceChildren(
    h('h1', {}, 'Page not found'),
    h('p', { class: 'muted' }, 'There is no page at this address.'),
    h('a', { class: 'button', href: '/' }, 'Back to the shop'),
  );
}
