import { MeshConfigError } from '../errors.js';
import type { BalancerContext } from './balancer.js';

/** The error for one bad balancer option: which balancer, which option, what it may be. */
export function invalidBalancerOption(
  balancer: string,
  context: BalancerContext,
  option: string,
  value: unknown,
  allowed: string,
): MeshConfigError {
  return new MeshConfigError(
    'ERR_INVALID_BALANCER_OPTIONS',
    `Balancer "${balancer}" option "${option}" cannot be ${JSON.stringify(value) ?? String(value)}`,
    { upstream: context.upstream, advice: `${option} must be ${allowed}` },
  );
}
