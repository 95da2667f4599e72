export { createMesh, Mesh } from './mesh.js';
export type { MeshOptions, UpstreamConfig, UpstreamOptions, UpstreamSnapshot } from './mesh.js';
export { ServiceClient } from './client.js';
export type {
  HttpMethod,
  MeshRequest,
  MeshResponse,
  RequestBody,
  ResponseBody,
} from './request.js';
export type { EndpointSnapshot } from './upstream.js';
export * from './errors.js';
export type { MeshLogger } from './logger.js';
export { silentLogger, stderrLogger } from './logger.js';
export type { Clock, RandomSource } from './clock.js';
export type { Endpoint } from './endpoint.js';
export { endpointKey } from './endpoint.js';
export { EndpointState } from './endpoint-state.js';
export { PeakEwma } from './peak-ewma.js';
export type { Discovery, EndpointListener, Resolver } from './resolvers/resolver.js';
export {
  envDiscovery,
  parseEndpointList,
  staticDiscovery,
  StaticResolver,
  upstreamEnvVariable,
} from './resolvers/static.js';
export type {
  Balancer,
  BalancerContext,
  BalancerFactory,
  BalancerSpec,
  PickContext,
} from './balancers/balancer.js';
export {
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_REGISTRY_SCAN_INTERVAL_MS,
  defaultRegistryDir,
  LocalRegistry,
} from './resolvers/local-registry.js';
export type {
  LocalRegistryOptions,
  Registration,
  RegistrationOptions,
} from './resolvers/local-registry.js';
export type { Lease } from './resolvers/lease.js';
export { DnsResolver, dnsDiscovery } from './resolvers/dns.js';
export type {
  DnsAddressDiscoveryOptions,
  DnsAddressOptions,
  DnsDiscoveryOptions,
  DnsFamily,
  DnsLookupOptions,
  DnsResolverOptions,
  DnsSrvDiscoveryOptions,
  DnsSrvOptions,
} from './resolvers/dns.js';
export {
  balancerNames,
  createBalancer,
  defaultBalancer,
  registerBalancer,
} from './balancers/index.js';
export {
  currentDeadline,
  Deadline,
  DEADLINE_HEADER,
  DeadlineExceededError,
  formatDeadlineHeader,
  MAX_DEADLINE_MS,
  parseDeadlineHeader,
  withDeadline,
} from './deadline/deadline.js';
export type { DeadlineHeaderResult } from './deadline/deadline.js';
export type { MeshEvent, MeshEventListener } from './events.js';
export { FAULT_HEADER, parseFaultSpec } from './fault/fault-injection.js';
export type { FaultInjectionOptions } from './fault/fault-injection.js';
export type { ActiveHealthCheckOptions } from './health/active-health-checker.js';
export type { EjectionReason, OutlierDetectionOptions } from './health/outlier-detector.js';
export type { BackoffOptions } from './resilience/backoff.js';
export { IDEMPOTENCY_KEY_HEADER, isIdempotent } from './resilience/idempotency.js';
export type { RetryBudgetOptions } from './resilience/retry-budget.js';
export type { BreakerOptions, BreakerState } from './resilience/upstream-breaker.js';
export { isInsideMeshAttempt } from './telemetry/attempt-context.js';
export { CALL_DURATION_BOUNDS_MS, durationQuantile } from './telemetry/call-stats.js';
export type { CallTotals } from './telemetry/call-stats.js';
