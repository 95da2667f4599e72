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
