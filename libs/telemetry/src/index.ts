export { isTelemetryDisabled, shutdownTelemetry, startTelemetry, telemetryStatus } from './sdk.js';
export type { TelemetryStatus } from './sdk.js';
export { activeTraceFields, createLogger } from './logger.js';
export type { CreateLoggerOptions, TraceLogFields } from './logger.js';
