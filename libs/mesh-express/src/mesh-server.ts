import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants } from 'node:os';
import { LocalRegistry, type Registration, type RegistrationOptions } from '@trellis/mesh';
import {
  DEFAULT_DRAIN_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOOKS_TIMEOUT_MS,
  GracefulDrain,
  type DrainOptions,
  type ShutdownHook,
} from './graceful-drain.js';
import { InvalidOptionError } from './invalid-option-error.js';
import { defaultLogger, type ServerLogger } from './logger.js';
import {
  describeValue,
  optionalFunction,
  optionalNumber,
  optionalString,
  optionalStringRecord,
  optionalWithMethods,
  optionsObject,
  rejectUnknownKeys,
} from './option-checks.js';
import { requireState, type ServerState } from './server-state.js';

/** Where the instance registers; a `LocalRegistry` fits. */
export interface InstanceRegistry {
  register(options: RegistrationOptions): Promise<Registration>;
}

export interface StartMeshServerOptions {
  /** The same state the middleware and admin routes were given; names the service. */
  state: ServerState;
  /** Closed during the drain, after in-flight requests finish. */
  mesh?: { close(): Promise<void> };
  /** Default 0: any free port (read it from `handle.address`). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** The address registered for callers; default `host`, or loopback when `host` is a wildcard. */
  advertiseAddress?: string;
  /** Default a `new LocalRegistry()` (`TRELLIS_REGISTRY_DIR`), created and closed by the server. */
  registry?: InstanceRegistry;
  zone?: string;
  weight?: number;
  metadata?: Readonly<Record<string, string>>;
  /** Largest request head accepted, in bytes; larger ones get 431 from Node. Default Node's (16 KiB). */
  maxHeaderSize?: number;
  drain?: DrainOptions;
  /** Signals that start the drain; default SIGTERM and SIGINT; `[]` for none. */
  signals?: readonly NodeJS.Signals[];
  /** Run in order after the mesh is closed, e.g. `() => telemetry.shutdown()`. */
  onShutdown?: ShutdownHook | readonly ShutdownHook[];
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default a pino logger to stdout. */
  logger?: ServerLogger;
}

export interface MeshServerHandle {
  readonly server: Server;
  /** Where the server listens (port resolved when 0 was asked). */
  readonly address: AddressInfo;
  /** `http://host:port`, for tests and logs. */
  readonly url: string;
  readonly registration: Registration;
  readonly state: ServerState;
  /** Runs the graceful drain (once), resolving with the exit code it passed to `exit`. */
  drain(): Promise<number>;
}

const OPTION_NAMES = [
  'state',
  'mesh',
  'port',
  'host',
  'advertiseAddress',
  'registry',
  'zone',
  'weight',
  'metadata',
  'maxHeaderSize',
  'drain',
  'signals',
  'onShutdown',
  'exit',
  'logger',
] as const;

/**
 * Listens, registers the instance in discovery, marks the state ready, and drains gracefully on
 * SIGTERM/SIGINT (see `GracefulDrain`). Rejects, with nothing left running, when an option is
 * bad, the port is taken or registration fails.
 */
export async function startMeshServer(
  app: RequestListener,
  options: StartMeshServerOptions,
): Promise<MeshServerHandle> {
  if (typeof app !== 'function') {
    throw new InvalidOptionError(
      'app',
      `expected a request listener such as an Express app, got ${describeValue(app)}`,
      'pass the app returned by express()',
    );
  }
  const config = readOptions(options);
  const { state, logger } = config;

  const server = createServer(
    config.maxHeaderSize === undefined ? {} : { maxHeaderSize: config.maxHeaderSize },
    app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const ownedRegistry = config.registry ? undefined : new LocalRegistry({ logger });
  const registry = config.registry ?? (ownedRegistry as LocalRegistry);
  let registration: Registration;
  try {
    registration = await registry.register({
      service: state.service,
      address: config.advertiseAddress ?? advertisedAddress(address.address),
      port: address.port,
      ...(config.zone !== undefined && { zone: config.zone }),
      ...(config.weight !== undefined && { weight: config.weight }),
      ...(config.metadata !== undefined && { metadata: config.metadata }),
    });
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ownedRegistry?.close();
    throw error;
  }
  state.markRegistered(registration.instanceId);

  const drain = new GracefulDrain({
    server,
    state,
    registration,
    ownedRegistry,
    mesh: config.mesh,
    hooks: config.hooks,
    delayMs: config.drain.delayMs,
    timeoutMs: config.drain.timeoutMs,
    hooksTimeoutMs: config.drain.hooksTimeoutMs,
    signals: config.signals,
    exit: config.exit,
    logger,
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info(
    {
      service: state.service,
      instance: registration.instanceId,
      address: address.address,
      port: address.port,
    },
    `Listening on ${host}:${address.port} and registered as ${registration.instanceId}`,
  );
  return {
    server,
    address,
    url: `http://${host}:${address.port}`,
    registration,
    state,
    drain: () => drain.drain(),
  };
}

interface ServerConfig {
  state: ServerState;
  mesh: { close(): Promise<void> } | undefined;
  port: number;
  host: string;
  advertiseAddress: string | undefined;
  registry: InstanceRegistry | undefined;
  zone: string | undefined;
  weight: number | undefined;
  metadata: Readonly<Record<string, string>> | undefined;
  maxHeaderSize: number | undefined;
  drain: Required<DrainOptions>;
  signals: readonly NodeJS.Signals[];
  hooks: readonly ShutdownHook[];
  exit: (code: number) => void;
  logger: ServerLogger;
}

function readOptions(options: StartMeshServerOptions): ServerConfig {
  const checked = optionsObject(options, 'startMeshServer options');
  rejectUnknownKeys(checked, OPTION_NAMES);
  const drain = optionsObject(checked['drain'], 'drain');
  rejectUnknownKeys(drain, ['delayMs', 'timeoutMs', 'hooksTimeoutMs'], 'drain.');
  const duration = (key: string, fallback: number, min: number): number =>
    optionalNumber(drain[key], `drain.${key}`, { min, max: 2 ** 31 - 1, unit: 'ms' }) ?? fallback;
  return {
    state: requireState(checked['state']),
    mesh: optionalWithMethods(checked['mesh'], 'mesh', ['close'], 'the mesh from createMesh()'),
    port: optionalNumber(checked['port'], 'port', { min: 0, max: 65_535, integer: true }) ?? 0,
    host:
      optionalString(checked['host'], 'host', 'an address to listen on, e.g. "0.0.0.0"') ??
      '127.0.0.1',
    advertiseAddress: optionalString(
      checked['advertiseAddress'],
      'advertiseAddress',
      'the address callers should connect to',
    ),
    registry: optionalWithMethods(
      checked['registry'],
      'registry',
      ['register'],
      'a LocalRegistry (or anything with register())',
    ),
    zone: optionalString(checked['zone'], 'zone', 'the zone name, e.g. "eu-west-1a"'),
    weight: optionalNumber(checked['weight'], 'weight', { min: 0 }),
    metadata: optionalStringRecord(checked['metadata'], 'metadata'),
    maxHeaderSize: optionalNumber(checked['maxHeaderSize'], 'maxHeaderSize', {
      min: 1_024,
      max: 1_048_576,
      integer: true,
      unit: 'bytes',
    }),
    drain: {
      delayMs: duration('delayMs', DEFAULT_DRAIN_DELAY_MS, 0),
      timeoutMs: duration('timeoutMs', DEFAULT_DRAIN_TIMEOUT_MS, 0),
      hooksTimeoutMs: duration('hooksTimeoutMs', DEFAULT_HOOKS_TIMEOUT_MS, 1),
    },
    signals: readSignals(checked['signals']),
    hooks: readHooks(checked['onShutdown']),
    exit:
      optionalFunction<(code: number) => void>(
        checked['exit'],
        'exit',
        'a function taking the exit code',
      ) ?? ((code) => process.exit(code)),
    logger:
      optionalWithMethods<ServerLogger>(
        checked['logger'],
        'logger',
        ['info', 'warn', 'error'],
        'a pino logger',
      ) ?? defaultLogger(),
  };
}

function readSignals(value: unknown): readonly NodeJS.Signals[] {
  if (value === undefined) return ['SIGTERM', 'SIGINT'];
  if (
    !Array.isArray(value) ||
    value.some((signal) => typeof signal !== 'string' || !(signal in constants.signals))
  ) {
    throw new InvalidOptionError(
      'signals',
      `expected an array of signal names, got ${Array.isArray(value) ? JSON.stringify(value) : describeValue(value)}`,
      'pass e.g. ["SIGTERM", "SIGINT"], or [] to handle no signal',
    );
  }
  if (value.includes('SIGKILL') || value.includes('SIGSTOP')) {
    throw new InvalidOptionError(
      'signals',
      'SIGKILL and SIGSTOP cannot be caught',
      'use SIGTERM, which is what orchestrators send first',
    );
  }
  return [...new Set(value as NodeJS.Signals[])];
}

function readHooks(value: unknown): readonly ShutdownHook[] {
  if (value === undefined) return [];
  const hooks: unknown[] = Array.isArray(value) ? value : [value];
  if (hooks.some((hook) => typeof hook !== 'function')) {
    throw new InvalidOptionError(
      'onShutdown',
      'expected a function or an array of functions',
      'pass e.g. () => telemetry.shutdown()',
    );
  }
  return hooks as ShutdownHook[];
}

/** A wildcard bind is reachable on loopback from this machine, which is what the local registry serves. */
function advertisedAddress(bound: string): string {
  if (bound === '0.0.0.0') return '127.0.0.1';
  if (bound === '::') return '::1';
  return bound;
}
