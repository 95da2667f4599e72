import { h } from './dom.js';

const euros = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

/** 450 -> "€4.50". */
export function formatPrice(cents) {
  return euros.format(cents / 100);
}

const CATEGORY_LABELS = {
  tea: 'Tea',
  coffee: 'Coffee',
  ware: 'Teaware & tools',
  snacks: 'Snacks',
};

export function categoryLabel(category) {
  return CATEGORY_LABELS[category] ?? category.charAt(0).toUpperCase() + category.slice(1);
}

/** "Ethiopia Yirgacheffe" -> "EY": the product's picture needs no image and no emoji font. */
function initialsOf(name) {
  const words = String(name).match(/[A-Za-z0-9]+/g) ?? ['?'];
  return words
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join('');
}

/** The product's picture: a tile tinted by category, with the product's initials. */
export function productArt(category, name, size = '') {
  const safe = String(category).replace(/[^a-z0-9-]/g, '');
  return h(
    'div',
    {
      class: ['product-art', size, `cat-${safe}`].filter(Boolean).join(' '),
      'aria-hidden': 'true',
    },
    h('span', {}, initialsOf(name)),
  );
}

/** The category a SKU belongs to, for its picture ("tea-01" -> "tea"). */
export function categoryOfSku(sku) {
  return String(sku).split('-')[0];
}

/** "Only 3 left" or "Sold out" when stock is short; nothing otherwise. */
export function stockNote(stock) {
  if (stock <= 0) return h('span', { class: 'stock-note' }, 'Sold out');
  if (stock < 10) return h('span', { class: 'stock-note' }, `Only ${stock} left`);
  return null;
}
