export interface ChargeRequest {
  readonly amountCents: number;
  readonly currency: string;
  readonly token: string;
  readonly orderId: string;
}

export interface Charge extends ChargeRequest {
  readonly chargeId: string;
  readonly status: 'captured';
  readonly createdAt: string;
}

/** What a charge attempt answered; stored per idempotency key and replayed for that key. */
export interface ChargeOutcome {
  readonly statusCode: 201 | 402;
  readonly body: Charge | { error: { code: string; message: string } };
}

/** The key was used before for a different charge: replaying it would be wrong, charging again worse. */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'ERR_IDEMPOTENCY_KEY_REUSED';
  constructor(readonly key: string) {
    super(
      `Idempotency-Key "${key}" was already used for a different charge; use a new key for a new charge`,
    );
  }
}

/** A card token the fake processor always declines, so declines can be shown. */
export const DECLINED_TOKEN = 'tok_decline';

/**
 * Charges by idempotency key: the same key with the same request gets the first answer again,
 * even while the first is still being processed, so a retried charge never charges twice.
 */
export class ChargeLedger {
  readonly #byKey = new Map<string, { fingerprint: string; outcome: Promise<ChargeOutcome> }>();
  readonly #charges = new Map<string, Charge>();
  #sequence = 0;

  constructor(private readonly processingMs = 0) {}

  /** Returns the outcome and whether it is a replay of an earlier request with this key. */
  async charge(
    key: string,
    request: ChargeRequest,
  ): Promise<{ outcome: ChargeOutcome; replayed: boolean }> {
    const fingerprint = JSON.stringify([
      request.amountCents,
      request.currency,
      request.token,
      request.orderId,
    ]);
    const existing = this.#byKey.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      return { outcome: await existing.outcome, replayed: true };
    }
    const outcome = this.#process(request);
    this.#byKey.set(key, { fingerprint, outcome });
    return { outcome: await outcome, replayed: false };
  }

  get(chargeId: string): Charge | undefined {
    return this.#charges.get(chargeId);
  }

  list(orderId?: string): Charge[] {
    return [...this.#charges.values()].filter((charge) => !orderId || charge.orderId === orderId);
  }

  async #process(request: ChargeRequest): Promise<ChargeOutcome> {
    if (this.processingMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.processingMs));
    if (request.token === DECLINED_TOKEN) {
      return {
        statusCode: 402,
        body: { error: { code: 'ERR_CARD_DECLINED', message: 'the card was declined' } },
      };
    }
    this.#sequence += 1;
    const charge: Charge = {
      ...request,
      chargeId: `ch_${String(this.#sequence).padStart(6, '0')}`,
      status: 'captured',
      createdAt: new Date().toISOString(),
    };
    this.#charges.set(charge.chargeId, charge);
    return { statusCode: 201, body: charge };
  }
}
