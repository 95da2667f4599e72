/** Rounds to `digits` decimals: the view carries what the page shows, not float noise. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
