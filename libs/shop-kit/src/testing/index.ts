// Test support for the shop's services; tests import it, production code never does.
export { useCompiledService } from './compiled-service.js';
export type { CompiledService } from './compiled-service.js';
export { expectConfigError, LOCAL_SERVICE_CONFIG } from './config-expectations.js';
export { buildService, startServiceProcess } from './service-process.js';
export type { ServiceProcess } from './service-process.js';
export { createTempRegistry } from './temp-registry.js';
export type { TempRegistry } from './temp-registry.js';
export { findRedisServer, freePort, REDIS_SERVER_MISSING, RedisServer } from './redis-server.js';
export { loggedAt } from './log-records.js';
