import {
  chargeIdOf,
  fingerprintOf,
  IdempotencyKeyReusedError,
  isCharge,
  processCharge,
  type Charge,
  type ChargeLedger,
  type ChargeOutcome,
  type ChargeRequest,
} from './charge-ledger.js';

/** The ledger in this replica's memory: replicas do not share it. */
export class MemoryChargeLedger implements ChargeLedger {
  readonly #byKey = new Map<string, { fingerprint: string; outcome: Promise<ChargeOutcome> }>();
  readonly #charges = new Map<string, Charge>();
  #sequence = 0;

  /** `processingMs` is how long the fake processor takes per charge. */
  constructor(private readonly processingMs = 0) {}

  async charge(
    key: string,
    request: ChargeRequest,
  ): Promise<{ outcome: ChargeOutcome; replayed: boolean }> {
    const fingerprint = fingerprintOf(request);
    const existing = this.#byKey.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      return { outcome: await existing.outcome, replayed: true };
    }
    // Recorded before the first await, so copies arriving meanwhile wait for this outcome.
    const outcome = this.#process(request);
    this.#byKey.set(key, { fingerprint, outcome });
    return { outcome: await outcome, replayed: false };
  }

  async get(chargeId: string): Promise<Charge | undefined> {
    return this.#charges.get(chargeId);
  }

  async list(orderId?: string): Promise<Charge[]> {
    return [...this.#charges.values()].filter((charge) => !orderId || charge.orderId === orderId);
  }

  async close(): Promise<void> {}

  async #process(request: ChargeRequest): Promise<ChargeOutcome> {
    const outcome = await processCharge(request, this.processingMs, async () =>
      chargeIdOf((this.#sequence += 1)),
    );
    if (isCharge(outcome.body)) this.#charges.set(outcome.body.chargeId, outcome.body);
    return outcome;
  }
}
