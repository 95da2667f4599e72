import { QuoteSeal, type QuoteTerms } from './quote-seal.js';
import { trackingNumberFor } from './tracking-number.js';

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
  readonly expiresAt: string;
}

export interface Shipment {
  readonly trackingNumber: string;
  readonly orderId: string;
  readonly quoteId: string;
  readonly carrier: string;
  readonly status: 'label-created';
}

/** The quote was genuine but its time is up. */
export class QuoteExpiredError extends Error {
  readonly code = 'ERR_QUOTE_EXPIRED';
  constructor(
    readonly quoteId: string,
    expiresAt: number,
  ) {
    super(`quote expired at ${new Date(expiresAt).toISOString()}; ask POST /quotes for a new one`);
  }
}

export interface ShippingDeskOptions {
  /** Signs quotes and derives tracking numbers; the same on every replica. */
  readonly secret: string;
  /** How long a quote is honoured, in ms. */
  readonly quoteTtlMs?: number;
  /** Wall-clock milliseconds; replaceable in tests. */
  readonly now?: () => number;
  /** Shipments kept for `GET /shipments/:trackingNumber`; the oldest go first. */
  readonly maxShipments?: number;
}

const DOMESTIC = new Set(['DE', 'FR', 'NL', 'BE', 'AT', 'IT', 'ES']);
export const DEFAULT_QUOTE_TTL_MS = 30 * 60_000;

/**
 * Quotes by weight and destination, and one shipment per order. Nothing here has to be shared
 * between replicas: a quote id carries its own signed terms, and an order's tracking number is
 * derived from its id, so every replica accepts any replica's quote and books the same shipment.
 */
export class ShippingDesk {
  readonly #seal: QuoteSeal;
  readonly #secret: string;
  readonly #quoteTtlMs: number;
  readonly #now: () => number;
  readonly #maxShipments: number;
  /** What this replica booked, by tracking number (one per order, since it is derived from it). */
  readonly #shipments = new Map<string, Shipment>();

  constructor(options: ShippingDeskOptions) {
    this.#seal = new QuoteSeal(options.secret);
    this.#secret = options.secret;
    this.#quoteTtlMs = options.quoteTtlMs ?? DEFAULT_QUOTE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#maxShipments = options.maxShipments ?? 10_000;
  }

  quote(request: QuoteRequest): Quote {
    const units = request.items.reduce((sum, item) => sum + item.qty, 0);
    const parcels = Math.max(1, Math.ceil(units / 10));
    const domestic = DOMESTIC.has(request.country);
    const terms: QuoteTerms = {
      country: request.country,
      parcels,
      costCents: parcels * (domestic ? 490 : 1_290),
      carrier: domestic ? 'PostNet' : 'WorldParcel',
      days: domestic ? 2 : 6,
      expiresAt: this.#now() + this.#quoteTtlMs,
    };
    const { expiresAt, ...rest } = terms;
    return {
      quoteId: this.#seal.seal(terms),
      ...rest,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /**
   * Books the order's shipment, or returns the one this replica already booked (safe to retry).
   * Throws QuoteTamperedError for a quote this service did not sign, QuoteExpiredError for an old one.
   */
  ship(orderId: string, quoteId: string): { shipment: Shipment; created: boolean } {
    // The quote is checked first, so a request gets the same answer on every replica.
    const terms = this.#seal.open(quoteId);
    if (terms.expiresAt <= this.#now()) throw new QuoteExpiredError(quoteId, terms.expiresAt);
    const trackingNumber = trackingNumberFor(orderId, this.#secret);
    const existing = this.#shipments.get(trackingNumber);
    if (existing) return { shipment: existing, created: false };
    const shipment: Shipment = {
      trackingNumber,
      orderId,
      quoteId,
      carrier: terms.carrier,
      status: 'label-created',
    };
    this.#shipments.set(trackingNumber, shipment);
    if (this.#shipments.size > this.#maxShipments) {
      this.#shipments.delete(this.#shipments.keys().next().value as string);
    }
    return { shipment, created: true };
  }

  /** A shipment this replica booked; other replicas' shipments are not known here. */
  track(trackingNumber: string): Shipment | undefined {
    return this.#shipments.get(trackingNumber);
  }
}
