export { Knobs } from './knobs.js';
export type { KnobSettings } from './knobs.js';
export { ConfigError, parseEnv, serviceConfig, serviceEnvShape } from './service-config.js';
export type { ServiceConfig } from './service-config.js';
