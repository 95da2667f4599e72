export * from './errors.js';
export type { MeshLogger } from './logger.js';
export { silentLogger, stderrLogger } from './logger.js';
export type { Clock, RandomSource } from './clock.js';
export type { Endpoint } from './endpoint.js';
export { endpointKey } from './endpoint.js';
export { EndpointState } from './endpoint-state.js';
export { PeakEwma } from './peak-ewma.js';
export type { Discovery, EndpointListener, Resolver } from './resolvers/resolver.js';
export type {
  Balancer,
  BalancerContext,
  BalancerFactory,
  BalancerSpec,
  PickContext,
} from './balancers/balancer.js';
