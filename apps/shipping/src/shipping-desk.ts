import { randomBytes } from 'node:crypto';

export interface QuoteRequest {
  readonly country: string;
  readonly items: readonly { readonly sku: string; readonly qty: number }[];
}

export interface Quote {
  readonly quoteId: string;
  readonly country: string;
  readonly parcels: number;
  readonly costCents: number;
  readonly carrier: string;
  readonly days: number;
}

export interface Shipment {
  readonly trackingNumber: string;
  readonly orderId: string;
  readonly quoteId: string;
  readonly carrier: string;
  readonly status: 'label-created';
}

/** The quote asked for is unknown (never issued, or from another replica's memory). */
export class UnknownQuoteError extends Error {
  readonly code = 'ERR_NO_SUCH_QUOTE';
  constructor(readonly quoteId: string) {
    super(`no quote ${quoteId}; ask POST /quotes for a new one`);
  }
}

const DOMESTIC = new Set(['DE', 'FR', 'NL', 'BE', 'AT', 'IT', 'ES']);

/** Quotes by weight and destination; one shipment per order, however often it is asked for. */
export class ShippingDesk {
  readonly #quotes = new Map<string, Quote>();
  readonly #shipmentsByOrder = new Map<string, Shipment>();
  readonly #shipmentsByTracking = new Map<string, Shipment>();

  quote(request: QuoteRequest): Quote {
    const units = request.items.reduce((sum, item) => sum + item.qty, 0);
    const parcels = Math.max(1, Math.ceil(units / 10));
    const domestic = DOMESTIC.has(request.country);
    const quote: Quote = {
      quoteId: `q_${randomBytes(6).toString('hex')}`,
      country: request.country,
      parcels,
      costCents: parcels * (domestic ? 490 : 1_290),
      carrier: domestic ? 'PostNet' : 'WorldParcel',
      days: domestic ? 2 : 6,
    };
    this.#quotes.set(quote.quoteId, quote);
    return quote;
  }

  /** Creates the order's shipment, or returns the one it already has (safe to retry). */
  ship(orderId: string, quoteId: string): { shipment: Shipment; created: boolean } {
    const existing = this.#shipmentsByOrder.get(orderId);
    if (existing) return { shipment: existing, created: false };
    const quote = this.#quotes.get(quoteId);
    if (!quote) throw new UnknownQuoteError(quoteId);
    const shipment: Shipment = {
      trackingNumber: `TRK${randomBytes(5).toString('hex').toUpperCase()}`,
      orderId,
      quoteId,
      carrier: quote.carrier,
      status: 'label-created',
    };
    this.#shipmentsByOrder.set(orderId, shipment);
    this.#shipmentsByTracking.set(shipment.trackingNumber, shipment);
    return { shipment, created: true };
  }

  track(trackingNumber: string): Shipment | undefined {
    return this.#shipmentsByTracking.get(trackingNumber);
  }
}
