import type { MeshLogger } from '@trellis/mesh';
import { pino } from 'pino';

/** What this library logs to: a pino logger fits as is (so does the mesh's own logger type). */
export type ServerLogger = MeshLogger;

let fallback: ServerLogger | undefined;

/** One pino logger to stdout for the process, created on first use when none is injected. */
export function defaultLogger(): ServerLogger {
  fallback ??= pino({ name: 'trellis-server' });
  return fallback;
}
