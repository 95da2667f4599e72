import type { InstanceWindow } from './instance-history.js';

/** One discovered instance at one tick: where it is, and what its `/mesh` said, if anything. */
export interface InstanceSample {
  service: string;
  /** The endpoint's `replica` metadata, else its address:port. */
  replica: string;
  /** address:port */
  key: string;
  /** Set only when `/mesh` answered at this tick: stale readings never count. */
  window: InstanceWindow | undefined;
  error: string | null;
}

/** The samples that answered at this tick, with their window. */
export function answering(
  samples: readonly InstanceSample[],
): (InstanceSample & { window: InstanceWindow })[] {
  return samples.filter(
    (sample): sample is InstanceSample & { window: InstanceWindow } => sample.window !== undefined,
  );
}
