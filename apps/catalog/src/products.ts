export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly priceCents: number;
  stock: number;
}

const CATEGORIES: Record<string, readonly string[]> = {
  tea: [
    'Sencha',
    'Genmaicha',
    'Assam',
    'Darjeeling',
    'Oolong',
    'Rooibos',
    'Earl Grey',
    'Chai',
    'Matcha',
  ],
  coffee: [
    'Espresso Blend',
    'Colombia',
    'Ethiopia Yirgacheffe',
    'Sumatra',
    'Decaf',
    'Guatemala',
    'Kenya AA',
    'Brazil',
    'House Roast',
  ],
  ware: [
    'Teapot',
    'Mug',
    'Kettle',
    'French Press',
    'Grinder',
    'Filter Papers',
    'Tea Strainer',
    'Cups (set of 4)',
    'Scale',
  ],
  snacks: [
    'Shortbread',
    'Almond Biscotti',
    'Dark Chocolate',
    'Ginger Snaps',
    'Oat Cookies',
    'Candied Ginger',
    'Honey',
    'Macarons',
    'Madeleines',
  ],
};

/** The seeded data set: 36 products, the same on every start. */
export function seedProducts(): Product[] {
  const products: Product[] = [];
  for (const [category, names] of Object.entries(CATEGORIES)) {
    names.forEach((name, index) => {
      const number = String(index + 1).padStart(2, '0');
      products.push({
        sku: `${category}-${number}`,
        name,
        category,
        priceCents: 350 + ((name.length * 137 + index * 59) % 2_650),
        stock: 20 + ((name.length * 7 + index * 13) % 80),
      });
    });
  }
  return products;
}
