import { JOURNEY_KINDS, type JourneyKind } from './load-mix.js';

export interface JourneyCounts {
  sent: number;
  ok: number;
  failed: number;
}

export interface JourneyFailureRecord {
  /** ISO time the journey failed. */
  at: string;
  kind: JourneyKind;
  /** The storefront's HTTP status, or null when no answer came (refused, timed out, ...). */
  status: number | null;
  message: string;
}

/** How many failures `recentFailures` keeps. */
export const RECENT_FAILURES = 20;

/** What was sent and how it went, overall and per journey kind. */
export class LoadStats {
  readonly #byKind = Object.fromEntries(
    JOURNEY_KINDS.map((kind) => [kind, { sent: 0, ok: 0, failed: 0 }]),
  ) as Record<JourneyKind, JourneyCounts>;
  readonly #recentFailures: JourneyFailureRecord[] = [];
  #skipped = 0;

  sent(kind: JourneyKind): void {
    this.#byKind[kind].sent += 1;
  }

  succeeded(kind: JourneyKind): void {
    this.#byKind[kind].ok += 1;
  }

  failed(kind: JourneyKind, status: number | null, message: string, at = new Date()): void {
    this.#byKind[kind].failed += 1;
    this.#recentFailures.push({ at: at.toISOString(), kind, status, message });
    if (this.#recentFailures.length > RECENT_FAILURES) this.#recentFailures.shift();
  }

  /** An arrival that was not started because too many journeys were under way. */
  skipped(): void {
    this.#skipped += 1;
  }

  snapshot() {
    const byKind = Object.fromEntries(
      JOURNEY_KINDS.map((kind) => [kind, { ...this.#byKind[kind] }]),
    ) as Record<JourneyKind, JourneyCounts>;
    const total = (field: keyof JourneyCounts) =>
      JOURNEY_KINDS.reduce((sum, kind) => sum + byKind[kind][field], 0);
    return {
      sent: total('sent'),
      ok: total('ok'),
      failed: total('failed'),
      skipped: this.#skipped,
      byKind,
      recentFailures: [...this.#recentFailures],
    };
  }
}
