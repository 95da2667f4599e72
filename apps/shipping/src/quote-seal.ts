import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a quote promises; carried inside its id, so no replica has to remember it. */
export interface QuoteTerms {
  readonly country: string;
  readonly parcels: number;
  readonly costCents: number;
  readonly carrier: string;
  readonly days: number;
  /** Milliseconds since the epoch (wall clock: replicas compare it, not one process). */
  readonly expiresAt: number;
}

/** `q_<terms as base64url JSON>.<HMAC-SHA256 tag as base64url>`. */
export const QUOTE_ID = /^q_[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}$/;

const termsShape = z
  .object({
    country: z.string(),
    parcels: z.number().int().positive(),
    costCents: z.number().int().nonnegative(),
    carrier: z.string(),
    days: z.number().int().positive(),
    expiresAt: z.number().int(),
  })
  .strict();

/** The quote id was not signed with this service's secret, or was changed after it was. */
export class QuoteTamperedError extends Error {
  readonly code = 'ERR_INVALID_QUOTE';
  constructor(readonly quoteId: string) {
    super(
      'quoteId: not a quote this service issued (its signature does not match); ask POST /quotes for a new one',
    );
  }
}

/** Signs quote terms into a quote id and reads them back, refusing any id whose tag does not match. */
export class QuoteSeal {
  constructor(private readonly secret: string) {}

  seal(terms: QuoteTerms): string {
    const payload = Buffer.from(JSON.stringify(terms)).toString('base64url');
    return `q_${payload}.${this.#tag(payload).toString('base64url')}`;
  }

  /** The terms inside `quoteId`; throws QuoteTamperedError unless this secret signed them. */
  open(quoteId: string): QuoteTerms {
    const match = /^q_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(quoteId);
    if (!match) throw new QuoteTamperedError(quoteId);
    const [, payload, tag] = match as unknown as [string, string, string];
    const given = Buffer.from(tag, 'base64url');
    const expected = this.#tag(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new QuoteTamperedError(quoteId);
    }
    const terms = termsShape.safeParse(parseJson(Buffer.from(payload, 'base64url').toString()));
    if (!terms.success) throw new QuoteTamperedError(quoteId);
    return terms.data;
  }

  #tag(payload: string): Buffer {
    // The prefix keeps quote tags apart from anything else this secret signs.
    return createHmac('sha256', this.secret).update(`quote:${payload}`).digest();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
