import type { ErrorRequestHandler } from 'express';

export interface CheckoutErrorOptions {
  /** Extra fields of the error body, e.g. the SKU that is out of stock. */
  readonly details?: Record<string, string | number>;
  /**
   * The checkout is over: its items went back to the cart, so a repeat of its key must get this
   * same answer rather than run again.
   */
  readonly final?: boolean;
}

/** A checkout that cannot go ahead for a reason the caller can act on (empty cart, declined card...). */
export class CheckoutError extends Error {
  readonly final: boolean;
  readonly #details: Record<string, string | number>;

  constructor(
    readonly status: 402 | 409 | 502,
    readonly code: string,
    message: string,
    options: CheckoutErrorOptions = {},
  ) {
    super(message);
    this.name = 'CheckoutError';
    this.final = options.final ?? false;
    this.#details = options.details ?? {};
  }

  get body(): { error: Record<string, string | number> } {
    return { error: { code: this.code, message: this.message, ...this.#details } };
  }
}

/** Answers CheckoutErrors; everything else goes on to the shared handler (mesh errors -> 502/503/504). */
export function checkoutErrorHandler(): ErrorRequestHandler {
  return (error, _request, response, next) => {
    if (!(error instanceof CheckoutError)) return next(error);
    response.status(error.status).json(error.body);
  };
}
