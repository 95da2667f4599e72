import { CheckoutError } from './checkout-error.js';
import type { Order } from './order.js';

/** How each finished checkout ended: its order, or the final refusal a repeat must get again. */
type Outcome =
  { order: Order; refusal?: undefined } | { order?: undefined; refusal: CheckoutError };

interface Entry {
  /** What the checkout asked for, so one key cannot quietly stand for two different checkouts. */
  readonly fingerprint: string;
  readonly outcome: Outcome;
}

/** What a placement answered, and whether it repeats an earlier (or concurrent) one. */
export interface Placement {
  readonly order: Order;
  readonly replayed: boolean;
}

/**
 * This replica's checkouts by order id: each one runs once at a time (concurrent copies of a key
 * wait for the same run) and its outcome is kept, the last `capacity` of them, for repeats and for
 * `GET /orders/:orderId`.
 */
export class OrderBook {
  readonly #finished = new Map<string, Entry>();
  readonly #running = new Map<string, { fingerprint: string; run: Promise<Order> }>();

  constructor(private readonly capacity = 10_000) {}

  /** Runs `checkout` unless this order id ran or is running here; then answers what that run did. */
  async place(
    orderId: string,
    fingerprint: string,
    checkout: () => Promise<Order>,
  ): Promise<Placement> {
    const finished = this.#finished.get(orderId);
    if (finished) {
      assertSameCheckout(finished.fingerprint, fingerprint);
      if (finished.outcome.refusal) throw finished.outcome.refusal;
      return { order: finished.outcome.order, replayed: true };
    }
    const running = this.#running.get(orderId);
    if (running) {
      assertSameCheckout(running.fingerprint, fingerprint);
      return { order: await running.run, replayed: true };
    }
    const run = checkout();
    this.#running.set(orderId, { fingerprint, run });
    try {
      const order = await run;
      this.#remember(orderId, { fingerprint, outcome: { order } });
      return { order, replayed: false };
    } catch (error) {
      // Failures of other services are not remembered: a repeat should try again.
      if (error instanceof CheckoutError && error.final) {
        this.#remember(orderId, { fingerprint, outcome: { refusal: error } });
      }
      throw error;
    } finally {
      this.#running.delete(orderId);
    }
  }

  /** An order this replica placed (and still keeps). */
  get(orderId: string): Order | undefined {
    return this.#finished.get(orderId)?.outcome.order;
  }

  #remember(orderId: string, entry: Entry): void {
    this.#finished.set(orderId, entry);
    if (this.#finished.size > this.capacity) {
      // Maps iterate in insertion order: the first key is the oldest outcome.
      this.#finished.delete(this.#finished.keys().next().value as string);
    }
  }
}

function assertSameCheckout(known: string, given: string): void {
  if (known !== given) {
    throw new CheckoutError(
      409,
      'ERR_IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was already used for a checkout with a different address or payment token; use a new key',
    );
  }
}
