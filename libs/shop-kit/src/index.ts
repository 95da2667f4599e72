export { Knobs } from './knobs.js';
export type { KnobSettings } from './knobs.js';
export { runService } from './run-service.js';
export type { RunServiceOptions, ServiceLifecycle } from './run-service.js';
export { createServiceApp, sendBadRequest } from './service-app.js';
export type { ServiceParts } from './service-app.js';
export {
  ConfigError,
  loadServiceConfig,
  loadSharedStateConfig,
  parseEnv,
  redisUrlEnv,
  serviceConfig,
  serviceEnvShape,
} from './service-config.js';
export type { ServiceConfig, SharedStateConfig } from './service-config.js';
export { closeSharedRedis, connectSharedRedis } from './shared-redis.js';
export type { SharedRedisOptions } from './shared-redis.js';
export {
  DependencyUnavailableError,
  dependencyUnavailableHandler,
} from './dependency-unavailable.js';
