import { randomUUID } from 'node:crypto';
import { closeSharedRedis, connectSharedRedis } from '@trellis/shop-kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  chargeIdOf,
  fingerprintOf,
  IdempotencyKeyReusedError,
  isCharge,
  LedgerUnavailableError,
  processCharge,
  type Charge,
  type ChargeLedger,
  type ChargeOutcome,
  type ChargeRequest,
} from './charge-ledger.js';

export const DEFAULT_KEY_PREFIX = 'trellis:payments:';

export interface RedisChargeLedgerOptions {
  /** `redis://` or `rediss://`. */
  url: string;
  logger: Logger;
  /** How long the fake processor takes per charge; default 0. */
  processingMs?: number;
  /** How long a claim on a key lasts without an answer before another copy may take it over. */
  claimTtlMs?: number;
  /** How long one command may take before the request answers 503; default 2000 ms. */
  commandTimeoutMs?: number;
}

/** How often a copy of a charge looks whether the first copy has been answered. */
const POLL_MS = 20;

const storedKey = z.object({
  fingerprint: z.string(),
  /** Only while the first copy is being processed: whose claim it is. */
  claim: z.string().optional(),
  outcome: z
    .object({ statusCode: z.union([z.literal(201), z.literal(402)]), body: z.unknown() })
    .optional(),
});

// Writes the answer only if the claim is still ours, so a copy that took over an expired claim
// and the slow first copy cannot both record a charge. KEYS: key, charge, order index.
const RECORD_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[4])
end
return 1
`;

/**
 * The ledger in Redis, shared by every replica. Per idempotency key a string
 * `<prefix>key:<key>` holds `{ fingerprint, outcome }` (JSON); each captured charge is also kept
 * as `<prefix>charge:<chargeId>` and indexed in the set `<prefix>order:<orderId>`; charge ids
 * come from the counter `<prefix>sequence`.
 *
 * The first copy of a charge claims its key with SET NX (with an expiry, should that replica
 * die), processes it, and records the answer with a script that checks the claim is still its
 * own. Every other copy, on any replica, waits for that answer and replays it.
 *
 * When Redis cannot be reached, every call fails with LedgerUnavailableError (a 503) while the
 * client keeps reconnecting in the background.
 */
export class RedisChargeLedger implements ChargeLedger {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #processingMs: number;
  readonly #claimTtlMs: number;

  constructor(options: RedisChargeLedgerOptions) {
    this.#logger = options.logger;
    this.#processingMs = options.processingMs ?? 0;
    this.#claimTtlMs = options.claimTtlMs ?? 10_000;
    this.#redis = connectSharedRedis({
      url: options.url,
      logger: options.logger,
      ...(options.commandTimeoutMs !== undefined && { commandTimeoutMs: options.commandTimeoutMs }),
    });
  }

  async charge(
    key: string,
    request: ChargeRequest,
  ): Promise<{ outcome: ChargeOutcome; replayed: boolean }> {
    const fingerprint = fingerprintOf(request);
    const idempotencyKey = `${DEFAULT_KEY_PREFIX}key:${key}`;
    // Waiting longer than a claim lives means Redis kept failing us: answer 503, retryable.
    const giveUpAt = Date.now() + this.#claimTtlMs * 2;
    while (Date.now() < giveUpAt) {
      const claim = JSON.stringify({ fingerprint, claim: randomUUID() });
      const claimed = await this.#call(() =>
        this.#redis.set(idempotencyKey, claim, 'PX', this.#claimTtlMs, 'NX'),
      );
      if (claimed === 'OK') {
        return {
          outcome: await this.#process(idempotencyKey, claim, fingerprint, request),
          replayed: false,
        };
      }
      const stored = await this.#call(() => this.#redis.get(idempotencyKey));
      // Gone between the two commands: its claim expired, so try to claim it again.
      if (stored === null) continue;
      const record = storedKey.parse(JSON.parse(stored));
      if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (record.outcome) return { outcome: record.outcome as ChargeOutcome, replayed: true };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new LedgerUnavailableError({
      cause: new Error(`the first copy of charge "${key}" was not answered in time`),
    });
  }

  async get(chargeId: string): Promise<Charge | undefined> {
    const stored = await this.#call(() => this.#redis.get(this.#chargeKey(chargeId)));
    return stored === null ? undefined : (JSON.parse(stored) as Charge);
  }

  /** Without an order id this SCANs every charge: fine for the demo, not for a large ledger. */
  async list(orderId?: string): Promise<Charge[]> {
    const chargeIds =
      orderId === undefined
        ? await this.#allChargeIds()
        : await this.#call(() => this.#redis.smembers(`${DEFAULT_KEY_PREFIX}order:${orderId}`));
    if (chargeIds.length === 0) return [];
    const stored = await this.#call(() =>
      this.#redis.mget(chargeIds.map((chargeId) => this.#chargeKey(chargeId))),
    );
    return stored
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as Charge)
      .sort((a, b) => a.chargeId.localeCompare(b.chargeId));
  }

  async close(): Promise<void> {
    await closeSharedRedis(this.#redis, this.#logger);
  }

  async #process(
    idempotencyKey: string,
    claim: string,
    fingerprint: string,
    request: ChargeRequest,
  ): Promise<ChargeOutcome> {
    const outcome = await processCharge(request, this.#processingMs, async () =>
      chargeIdOf(await this.#call(() => this.#redis.incr(`${DEFAULT_KEY_PREFIX}sequence`))),
    );
    const charge = isCharge(outcome.body) ? outcome.body : undefined;
    const recorded = await this.#call(() =>
      this.#redis.eval(
        RECORD_SCRIPT,
        3,
        idempotencyKey,
        this.#chargeKey(charge?.chargeId ?? ''),
        `${DEFAULT_KEY_PREFIX}order:${request.orderId}`,
        claim,
        JSON.stringify({ fingerprint, outcome }),
        charge ? JSON.stringify(charge) : '',
        charge?.chargeId ?? '',
      ),
    );
    if (recorded !== 1) {
      throw new LedgerUnavailableError({
        cause: new Error('the claim on this key expired before the charge was recorded'),
      });
    }
    return outcome;
  }

  async #allChargeIds(): Promise<string[]> {
    const prefix = `${DEFAULT_KEY_PREFIX}charge:`;
    const chargeIds: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#call(() =>
        this.#redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500),
      );
      cursor = next;
      chargeIds.push(...keys.map((key) => key.slice(prefix.length)));
    } while (cursor !== '0');
    return chargeIds;
  }

  #chargeKey(chargeId: string): string {
    return `${DEFAULT_KEY_PREFIX}charge:${chargeId}`;
  }

  /** Runs one round trip; any failure of Redis or the connection becomes a retryable 503. */
  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new LedgerUnavailableError({ cause: error });
    }
  }
}
