export {
  ServerState,
  type Readiness,
  type ServerStateOptions,
  type ShedLimit,
} from './server-state.js';
export { inFlightMiddleware } from './in-flight.js';
export {
  DEFAULT_EXEMPT_PATHS,
  loadSheddingMiddleware,
  type LoadSheddingMiddleware,
  type LoadSheddingOptions,
} from './load-shedding.js';
export {
  EventLoopDelayMonitor,
  type EventLoopDelayMonitorOptions,
  type EventLoopDelaySource,
} from './event-loop-delay.js';
export { deadlineMiddleware, type DeadlineOptions } from './deadline.js';
export {
  meshMiddleware,
  type MeshMiddleware,
  type MeshMiddlewareOptions,
} from './mesh-middleware.js';
export {
  meshAdminRoutes,
  type AdminRoutesOptions,
  type MeshAdminView,
  type MeshView,
} from './admin-routes.js';
export {
  mapError,
  meshErrorHandler,
  type ErrorHandlerOptions,
  type ErrorMapping,
} from './error-handler.js';
export { sendError, type ErrorBody } from './error-response.js';
export {
  startMeshServer,
  type InstanceRegistry,
  type MeshServerHandle,
  type StartMeshServerOptions,
} from './mesh-server.js';
export {
  DEFAULT_DRAIN_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOOKS_TIMEOUT_MS,
  type DrainOptions,
  type ShutdownHook,
} from './graceful-drain.js';
export { InvalidOptionError } from './invalid-option-error.js';
export type { ServerLogger } from './logger.js';
