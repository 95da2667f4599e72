/* global location, history, URLSearchParams */
import { api } from '../api.js';
import { h } from '../dom.js';
import { categoryLabel, formatPrice, productArt, stockNote } from '../format.js';
import { clearError, showError } from '../layout.js';
import { describeError } from '../messages.js';

/** `/`: every product, filtered by category and by a search; both are kept in the address. */
export async function renderHome(view) {
  const params = new URLSearchParams(location.search);
  const filter = { category: params.get('category') ?? '', q: params.get('q') ?? '' };
  const everything = await api('GET', '/api/products');
  const categories = [...new Set(everything.map((product) => product.category))];

  const grid = h('ul', { class: 'product-grid', 'data-testid': 'product-grid' });
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Categories' });
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: filter.q,
    maxlength: 100,
    placeholder: 'Search teas, coffees, teaware…',
    'aria-label': 'Search products',
    'data-testid': 'search',
  });

  const drawChips = () =>
    chips.replaceChildren(
      ...['', ...categories].map((category) =>
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'aria-pressed': String(filter.category === category),
            'data-testid': 'category-filter',
            'data-category': category || 'all',
            onclick: () => {
              filter.category = category;
              drawChips();
              void load();
            },
          },
          category ? categoryLabel(category) : 'All',
        ),
      ),
    );

  const drawProducts = (products) => {
    if (products.length === 0) {
      const what = filter.q ? ` match “${filter.q}”` : ' are in this category';
      grid.replaceChildren(h('li', { class: 'empty' }, `No products${what}.`));
      return;
    }
    grid.replaceChildren(...products.map(productCard));
  };

  // Only the answer to the latest filter is drawn, however the answers arrive.
  let latest = 0;
  const load = async () => {
    const ticket = ++latest;
    const query = new URLSearchParams();
    if (filter.category) query.set('category', filter.category);
    if (filter.q) query.set('q', filter.q);
    const suffix = query.size > 0 ? `?${query}` : '';
    history.replaceState(null, '', `/${suffix}`);
    try {
      const products = await api('GET', `/api/products${suffix}`);
      if (ticket !== latest) return;
      clearError();
      drawProducts(products);
    } catch (error) {
      if (ticket === latest) showError(describeError(error));
    }
  };

  let typing;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      filter.q = search.value.trim();
      void load();
    }, 250);
  });

  drawChips();
  view.replaceChildren(
    h(
      'section',
      { class: 'intro' },
      h('h1', {}, 'Tea, coffee and everything around them'),
      h('p', { class: 'muted' }, 'Freshly packed in small batches and shipped across Europe.'),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'form',
        { class: 'search', role: 'search', onsubmit: (event) => event.preventDefault() },
        search,
      ),
      chips,
    ),
    grid,
  );
  if (filter.category || filter.q) await load();
  else drawProducts(everything);
}

function productCard(product) {
  return h(
    'li',
    {},
    h(
      'a',
      {
        class: 'product-card',
        href: `/products/${encodeURIComponent(product.sku)}`,
        'data-testid': 'product-card',
        'data-sku': product.sku,
      },
      productArt(product.category, product.name),
      h(
        'div',
        { class: 'product-info' },
        h('h3', {}, product.name),
        h('span', { class: 'muted' }, categoryLabel(product.category)),
        h('span', { class: 'price' }, formatPrice(product.priceCents)),
        stockNote(product.stock),
      ),
    ),
  );
}
