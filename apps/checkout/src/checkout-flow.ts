import type { Mesh, ServiceClient } from '@trellis/mesh';
import type { Logger } from 'pino';
import { CheckoutError } from './checkout-error.js';
import type { CheckoutRequest } from './checkout-request.js';
import type { Order, OrderLine } from './order.js';
import { read, send, unexpected } from './upstream-answer.js';
import {
  chargeAnswer,
  claimAnswer,
  productAnswer,
  quoteAnswer,
  shipmentAnswer,
  type ClaimedItem,
} from './upstream-shapes.js';

/** Time each call may take (the checkout's own deadline can cut it shorter). */
export const CALL_TIMEOUT_MS = { cart: 2_000, catalog: 2_000, shipping: 3_000, payments: 5_000 };

/** Payments refuses larger charges; checkout says so itself instead of relaying a 400. */
export const MAX_TOTAL_CENTS = 10_000_000;

interface Claim {
  readonly items: readonly ClaimedItem[];
  /** 201: this call took the items; 200: the key had claimed them before. */
  readonly fresh: boolean;
}

/**
 * One checkout, step by step: claim the cart, price it, quote shipping, charge, ship. Every call
 * that changes something carries a key derived from the checkout's, so the mesh may retry it and
 * running the same checkout again (here or on another replica) repeats nothing.
 */
export class CheckoutFlow {
  readonly #cart: ServiceClient;
  readonly #catalog: ServiceClient;
  readonly #shipping: ServiceClient;
  readonly #payments: ServiceClient;

  constructor(
    mesh: Mesh,
    private readonly logger: Logger,
  ) {
    this.#cart = mesh.client('cart');
    this.#catalog = mesh.client('catalog');
    this.#shipping = mesh.client('shipping');
    this.#payments = mesh.client('payments');
  }

  async run(request: CheckoutRequest, key: string, orderId: string): Promise<Order> {
    const { userId } = request;
    const claim = await this.#claim(userId, key);
    let lines: OrderLine[];
    try {
      lines = await this.#price(claim.items);
    } catch (error) {
      // The items cannot be sold as they are: they go back to the cart for the user to change.
      // (When a service failed instead, the claim stays, so a retry of the key goes on with it.)
      if (error instanceof CheckoutError && error.final) await this.#release(userId, key);
      throw error;
    }
    const subtotalCents = lines.reduce((sum, line) => sum + line.lineCents, 0);
    const quote = await this.#quote(request.address.country, claim.items, key);
    const totalCents = subtotalCents + quote.costCents;
    if (totalCents > MAX_TOTAL_CENTS) {
      await this.#release(userId, key);
      throw new CheckoutError(
        409,
        'ERR_ORDER_TOO_LARGE',
        `the order totals ${totalCents} cents, more than the ${MAX_TOTAL_CENTS} one payment may take; the items are back in the cart`,
        { final: true },
      );
    }
    const chargeId = await this.#charge(claim, { userId, key, orderId, totalCents, request });
    const trackingNumber = await this.#ship(orderId, quote.quoteId, key);
    return {
      orderId,
      userId,
      status: 'confirmed',
      items: lines,
      subtotalCents,
      shippingCents: quote.costCents,
      totalCents,
      currency: 'EUR',
      chargeId,
      trackingNumber,
      carrier: quote.carrier,
      days: quote.days,
    };
  }

  async #claim(userId: string, key: string): Promise<Claim> {
    const answer = await send(this.#cart, {
      method: 'POST',
      path: `/carts/${userId}/checkouts`,
      hashKey: userId,
      headers: { 'idempotency-key': key },
      timeoutMs: CALL_TIMEOUT_MS.cart,
    });
    if (answer.status === 409) {
      throw new CheckoutError(409, 'ERR_CART_EMPTY', `the cart of ${userId} is empty`);
    }
    if (answer.status !== 201 && answer.status !== 200) throw unexpected(answer);
    return { items: read(answer, claimAnswer).items, fresh: answer.status === 201 };
  }

  /** Puts the claimed items back in the cart; a claim the cart no longer knows has nothing to put back. */
  async #release(userId: string, key: string): Promise<void> {
    const answer = await send(this.#cart, {
      method: 'DELETE',
      path: `/carts/${userId}/checkouts/${key}`,
      hashKey: userId,
      timeoutMs: CALL_TIMEOUT_MS.cart,
    });
    if (answer.status === 404) {
      this.logger.warn({ userId, key }, 'the cart no longer knows the claim to release');
      return;
    }
    if (answer.status !== 200) throw unexpected(answer);
  }

  /** Prices every line at the catalog, in parallel; a product short of stock stops the checkout. */
  async #price(items: readonly ClaimedItem[]): Promise<OrderLine[]> {
    const products = await Promise.all(
      items.map(async (item) => {
        const answer = await send(this.#catalog, {
          path: `/products/${encodeURIComponent(item.sku)}`,
          timeoutMs: CALL_TIMEOUT_MS.catalog,
        });
        if (answer.status === 404) {
          throw new CheckoutError(
            409,
            'ERR_NO_SUCH_PRODUCT',
            `${item.sku} is in the cart but no longer sold; it is back in the cart, remove it and check out again`,
            { details: { sku: item.sku }, final: true },
          );
        }
        if (answer.status !== 200) throw unexpected(answer);
        return read(answer, productAnswer);
      }),
    );
    return items.map((item, index) => {
      const product = products[index]!;
      if (product.stock < item.qty) {
        throw new CheckoutError(
          409,
          'ERR_OUT_OF_STOCK',
          `${item.sku}: ${item.qty} wanted, ${product.stock} in stock; the items are back in the cart`,
          { details: { sku: item.sku, available: product.stock }, final: true },
        );
      }
      return {
        sku: item.sku,
        name: product.name,
        qty: item.qty,
        unitPriceCents: product.priceCents,
        lineCents: product.priceCents * item.qty,
      };
    });
  }

  async #quote(country: string, items: readonly ClaimedItem[], key: string) {
    const answer = await send(this.#shipping, {
      method: 'POST',
      path: '/quotes',
      // Quoting twice is harmless; the key tells the mesh it may retry.
      headers: { 'idempotency-key': `${key}:quote` },
      json: { country, items: items.map(({ sku, qty }) => ({ sku, qty })) },
      timeoutMs: CALL_TIMEOUT_MS.shipping,
    });
    if (answer.status !== 201) throw unexpected(answer);
    return read(answer, quoteAnswer);
  }

  async #charge(
    claim: Claim,
    order: {
      userId: string;
      key: string;
      orderId: string;
      totalCents: number;
      request: CheckoutRequest;
    },
  ): Promise<string> {
    const answer = await send(this.#payments, {
      method: 'POST',
      path: '/charges',
      // Keyed by the order (derived from user and checkout key): one charge per order, and two
      // users who pick the same checkout key do not meet at payments.
      headers: { 'idempotency-key': order.orderId },
      json: {
        amountCents: order.totalCents,
        currency: 'EUR',
        token: order.request.paymentToken,
        orderId: order.orderId,
      },
      timeoutMs: CALL_TIMEOUT_MS.payments,
    });
    if (answer.status === 402) {
      await this.#release(order.userId, order.key);
      throw new CheckoutError(
        402,
        'ERR_PAYMENT_DECLINED',
        'the payment was declined; the items are back in the cart, check out again with another payment method',
        { final: true },
      );
    }
    if (answer.status === 409) {
      // The order was paid on other terms. Items this call took go back; items an earlier checkout
      // with this key took stay with it, since that checkout may have been paid.
      if (claim.fresh) await this.#release(order.userId, order.key);
      throw new CheckoutError(
        409,
        'ERR_IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key already paid for a checkout with other contents; use a new key',
      );
    }
    if (answer.status !== 201 && answer.status !== 200) throw unexpected(answer);
    return read(answer, chargeAnswer).chargeId;
  }

  async #ship(orderId: string, quoteId: string, key: string): Promise<string> {
    const answer = await send(this.#shipping, {
      method: 'POST',
      path: '/shipments',
      headers: { 'idempotency-key': `${key}:shipment` },
      json: { orderId, quoteId },
      timeoutMs: CALL_TIMEOUT_MS.shipping,
    });
    if (answer.status !== 201 && answer.status !== 200) throw unexpected(answer);
    return read(answer, shipmentAnswer).trackingNumber;
  }
}
