export { startPlatform } from './platform.js';
export type { Platform, PlatformOptions } from './platform.js';
export type { PlatformEvent, PlatformEventListener } from './events.js';
export { ControlError } from './control-error.js';
export { DEFAULT_REPLICAS, MAX_REPLICAS, SERVICES } from './services.js';
export type { Service } from './services.js';
export type {
  ChaosAction,
  ChaosResult,
  Knobs,
  LoadStatus,
  PlatformStatus,
  ReplicaState,
  ReplicaStatus,
  ServiceStatus,
} from './status.js';
export { runStart } from './start-command.js';
export type { StartCommandOptions } from './start-command.js';
