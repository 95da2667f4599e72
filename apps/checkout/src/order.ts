/** One priced line of an order. */
export interface OrderLine {
  readonly sku: string;
  readonly name: string;
  readonly qty: number;
  readonly unitPriceCents: number;
  readonly lineCents: number;
}

/** A placed order, as `POST /checkouts` and `GET /orders/:orderId` answer it. */
export interface Order {
  readonly orderId: string;
  readonly userId: string;
  readonly status: 'confirmed';
  readonly items: readonly OrderLine[];
  readonly subtotalCents: number;
  readonly shippingCents: number;
  readonly totalCents: number;
  readonly currency: 'EUR';
  readonly chargeId: string;
  readonly trackingNumber: string;
  readonly carrier: string;
  readonly days: number;
}
