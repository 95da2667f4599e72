/** What a simulated user does in one visit. */
export const JOURNEY_KINDS = ['browse', 'cart', 'checkout'] as const;
export type JourneyKind = (typeof JOURNEY_KINDS)[number];

/** Relative weight of each journey; the share of a kind is its weight over the sum. */
export type LoadMix = Readonly<Record<JourneyKind, number>>;

export const DEFAULT_MIX_TEXT = 'browse=70,cart=20,checkout=10';

const MIX_FORM = 'use kind=weight pairs separated by commas, like "browse=70,cart=20,checkout=10"';

/** A mix string that cannot be read; the message says what is wrong and the expected form. */
export class MixError extends Error {
  constructor(problem: string) {
    super(`${problem}; ${MIX_FORM}`);
    this.name = 'MixError';
  }
}

function isJourneyKind(value: string): value is JourneyKind {
  return (JOURNEY_KINDS as readonly string[]).includes(value);
}

/** Reads `browse=70,cart=20,checkout=10`; kinds left out get weight 0, and the sum must be > 0. */
export function parseMix(text: string): LoadMix {
  const weights: Record<JourneyKind, number> = { browse: 0, cart: 0, checkout: 0 };
  const seen = new Set<JourneyKind>();
  if (text.trim() === '') throw new MixError('the mix is empty');
  for (const entry of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d{1,4})\s*$/.exec(entry);
    if (!match) throw new MixError(`"${entry.trim()}" is not kind=weight`);
    const [, kind, weight] = match as unknown as [string, string, string];
    if (!isJourneyKind(kind)) {
      throw new MixError(`"${kind}" is not a journey (known: ${JOURNEY_KINDS.join(', ')})`);
    }
    if (seen.has(kind)) throw new MixError(`"${kind}" is given twice`);
    seen.add(kind);
    weights[kind] = Number(weight);
  }
  if (JOURNEY_KINDS.every((kind) => weights[kind] === 0)) {
    throw new MixError('every weight is 0');
  }
  return weights;
}

/** The canonical text of a mix, every kind in order. */
export function formatMix(mix: LoadMix): string {
  return JOURNEY_KINDS.map((kind) => `${kind}=${mix[kind]}`).join(',');
}

/** Picks a journey with probability proportional to its weight; `roll` is uniform in [0, 1). */
export function pickJourney(mix: LoadMix, roll: number): JourneyKind {
  const total = JOURNEY_KINDS.reduce((sum, kind) => sum + mix[kind], 0);
  let point = roll * total;
  for (const kind of JOURNEY_KINDS) {
    if (point < mix[kind]) return kind;
    point -= mix[kind];
  }
  // Only reached through rounding at the very top of the range: the last kind with weight.
  return [...JOURNEY_KINDS].reverse().find((kind) => mix[kind] > 0)!;
}
