import type { EdgeView } from './dashboard-view.js';

export type BreakerState = EdgeView['breaker'];

const SEVERITY: Record<BreakerState, number> = { off: 0, closed: 1, halfOpen: 2, open: 3 };

/** The worse of two breaker states: an open breaker anywhere is what the page must show. */
export function worseBreaker(a: BreakerState, b: BreakerState): BreakerState {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}
