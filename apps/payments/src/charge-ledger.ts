import { DependencyUnavailableError } from '@trellis/shop-kit';
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

/**
 * Charges by idempotency key: the same key with the same request gets the first answer again,
 * even while the first is still being processed, so a retried charge never charges twice.
 * A key used before for a different request throws IdempotencyKeyReusedError.
 */
export interface ChargeLedger {
  /** Returns the outcome and whether it is a replay of an earlier request with this key. */
  charge(
    key: string,
    request: ChargeRequest,
  ): Promise<{ outcome: ChargeOutcome; replayed: boolean }>;
  get(chargeId: string): Promise<Charge | undefined>;
  /** The captured charges in the order they were made, optionally of one order only. */
  list(orderId?: string): Promise<Charge[]>;
  close(): Promise<void>;
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

/** The shared ledger (Redis) cannot be reached; the charge may be retried with the same key. */
export class LedgerUnavailableError extends DependencyUnavailableError {
  constructor(options: { cause: unknown }) {
    super(
      'ERR_LEDGER_UNAVAILABLE',
      'the charge ledger (Redis) is unavailable right now; retry shortly',
      options,
    );
    this.name = 'LedgerUnavailableError';
  }
}

/** A card token the fake processor always declines, so declines can be shown. */
export const DECLINED_TOKEN = 'tok_decline';

/** What makes two requests with one key "the same charge". */
export function fingerprintOf(request: ChargeRequest): string {
  return JSON.stringify([request.amountCents, request.currency, request.token, request.orderId]);
}

/** The fake processor: waits `processingMs`, then declines DECLINED_TOKEN and captures the rest. */
export async function processCharge(
  request: ChargeRequest,
  processingMs: number,
  nextChargeId: () => Promise<string>,
): Promise<ChargeOutcome> {
  if (processingMs > 0) await new Promise((resolve) => setTimeout(resolve, processingMs));
  if (request.token === DECLINED_TOKEN) {
    return {
      statusCode: 402,
      body: { error: { code: 'ERR_CARD_DECLINED', message: 'the card was declined' } },
    };
  }
  const charge: Charge = {
    ...request,
    chargeId: await nextChargeId(),
    status: 'captured',
    createdAt: new Date().toISOString(),
  };
  return { statusCode: 201, body: charge };
}

/** `ch_000042`: zero-padded, so sorting ids as text sorts them in the order they were made. */
export function chargeIdOf(sequence: number): string {
  return `ch_${String(sequence).padStart(6, '0')}`;
}

export function isCharge(body: ChargeOutcome['body']): body is Charge {
  return 'chargeId' in body;
}
