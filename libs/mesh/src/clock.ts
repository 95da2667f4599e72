/** Milliseconds from an arbitrary origin; injectable so policy arithmetic runs under fake timers. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/** A uniform random number in [0, 1); injectable so distributions are reproducible in tests. */
export type RandomSource = () => number;
