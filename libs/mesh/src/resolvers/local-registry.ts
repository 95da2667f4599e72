import { randomBytes } from 'node:crypto';
import { unlinkSync, watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { endpointKey, sameEndpoint, type Endpoint } from '../endpoint.js';
import { MeshConfigError, MeshError } from '../errors.js';
import { stderrLogger, type MeshLogger } from '../logger.js';
import {
  isLeaseExpired,
  isValidMetadata,
  isValidPort,
  isValidServiceName,
  isValidTtl,
  isValidWeight,
  LEASE_VERSION,
  leaseEndpoint,
  MAX_LEASE_FILE_BYTES,
  parseLease,
  writeLeaseFile,
  type Lease,
} from './lease.js';
import type { Discovery, EndpointListener, Resolver } from './resolver.js';

export const DEFAULT_LEASE_TTL_MS = 5_000;
export const DEFAULT_REGISTRY_SCAN_INTERVAL_MS = 500;

/** Lease files this many TTLs past expiry belong to nobody and are deleted by any scanner. */
const GARBAGE_COLLECT_AFTER_TTLS = 10;

/** A lease temp file older than this was left by a writer that died mid-write. */
const ABANDONED_TEMP_FILE_AGE_MS = 60_000;

/** Coalesces a burst of watch events (temp file written, renamed) into one scan. */
const WATCH_EVENT_DELAY_MS = 10;

export interface LocalRegistryOptions {
  /** Default: `TRELLIS_REGISTRY_DIR`, else `trellis-registry` in the OS temp directory. */
  dir?: string;
  logger?: MeshLogger;
  /** Wall-clock epoch milliseconds: leases are compared across processes, so not monotonic. */
  now?: () => number;
  /** How often resolvers rescan even without watch events; leases expire without any event. */
  scanIntervalMs?: number;
}

export interface RegistrationOptions {
  service: string;
  address: string;
  port: number;
  zone?: string;
  weight?: number;
  metadata?: Readonly<Record<string, string>>;
  /** How long the lease stays valid without a heartbeat; default 5000 ms. */
  ttlMs?: number;
  /** How often the lease is renewed; default a third of the TTL, so two beats may fail. */
  heartbeatMs?: number;
}

/** One instance's entry in the local registry, renewed until deregistered. */
export interface Registration {
  readonly service: string;
  readonly instanceId: string;
  /** The lease file this registration keeps fresh. */
  readonly file: string;
  /**
   * Rewrites the lease with the draining flag so resolvers stop sending new requests here. A
   * failed write is logged and retried at the next heartbeat, which carries the flag.
   */
  setDraining(draining: boolean): Promise<void>;
  /** Stops the heartbeat and removes the lease file; calling it again does nothing more. */
  deregister(): Promise<void>;
}

/** The directory that holds every service's leases when none is configured. */
export function defaultRegistryDir(): string {
  return process.env.TRELLIS_REGISTRY_DIR || path.join(os.tmpdir(), 'trellis-registry');
}

/**
 * Zero-setup discovery for processes on one machine: each instance keeps a lease file in
 * `<dir>/<service>/<instanceId>.json` fresh by heartbeat, and resolvers watch that directory.
 */
export class LocalRegistry implements Discovery {
  readonly dir: string;
  readonly description: string;
  readonly #logger: MeshLogger;
  readonly #now: () => number;
  readonly #scanIntervalMs: number;
  readonly #hostname = os.hostname();
  readonly #registrations = new Set<LeaseRegistration>();
  readonly #resolvers = new Set<LocalRegistryResolver>();
  #closed = false;

  constructor(options: LocalRegistryOptions = {}) {
    this.dir = path.resolve(options.dir ?? defaultRegistryDir());
    this.description = `local-registry:${this.dir}`;
    this.#logger = options.logger ?? stderrLogger;
    this.#now = options.now ?? Date.now;
    this.#scanIntervalMs = options.scanIntervalMs ?? DEFAULT_REGISTRY_SCAN_INTERVAL_MS;
    if (!(this.#scanIntervalMs > 0) || !Number.isFinite(this.#scanIntervalMs)) {
      throw new MeshConfigError(
        'ERR_INVALID_SCAN_INTERVAL',
        `Invalid local registry scan interval ${String(options.scanIntervalMs)}`,
        { advice: 'pass scanIntervalMs as a positive number of milliseconds' },
      );
    }
  }

  /** Writes this instance's lease and keeps it fresh; resolves once the lease is on disk. */
  async register(options: RegistrationOptions): Promise<Registration> {
    this.#assertOpen();
    const { ttlMs, heartbeatMs } = validateRegistration(options);
    const instanceId = `${options.service}-${randomBytes(6).toString('hex')}`;
    const lease: Lease = {
      version: LEASE_VERSION,
      service: options.service,
      instanceId,
      address: options.address,
      port: options.port,
      ...(options.zone !== undefined && { zone: options.zone }),
      ...(options.weight !== undefined && { weight: options.weight }),
      ...(options.metadata !== undefined && { metadata: { ...options.metadata } }),
      pid: process.pid,
      hostname: this.#hostname,
      ttlMs,
      renewedAt: this.#now(),
    };
    const file = path.join(this.dir, options.service, `${instanceId}.json`);
    try {
      await writeLeaseFile(file, lease);
    } catch (error) {
      throw new MeshConfigError(
        'ERR_REGISTRY_UNWRITABLE',
        `Cannot write the lease file ${file}: ${(error as Error).message}`,
        {
          upstream: options.service,
          advice:
            'make the registry directory writable by this process, or point TRELLIS_REGISTRY_DIR at one that is',
          cause: error,
        },
      );
    }
    const registration = new LeaseRegistration(file, lease, heartbeatMs, {
      logger: this.#logger,
      now: this.#now,
      onDeregistered: (done) => this.#registrations.delete(done),
    });
    this.#registrations.add(registration);
    return registration;
  }

  /** A resolver that watches `<dir>/<service>`; the directory need not exist yet. */
  resolverFor(service: string): Resolver {
    this.#assertOpen();
    assertServiceName(service);
    const resolver = new LocalRegistryResolver(path.join(this.dir, service), service, {
      logger: this.#logger,
      now: this.#now,
      scanIntervalMs: this.#scanIntervalMs,
      hostname: this.#hostname,
      onClosed: (closed) => this.#resolvers.delete(closed),
    });
    this.#resolvers.add(resolver);
    return resolver;
  }

  /** Stops every resolver and removes every lease this registry wrote. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      ...[...this.#resolvers].map((resolver) => resolver.close()),
      ...[...this.#registrations].map((registration) => registration.deregister()),
    ]);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new MeshError('ERR_REGISTRY_CLOSED', 'The local registry has been closed', {
        advice: 'create a new LocalRegistry, or stop using this one after calling close()',
      });
    }
  }
}

function assertServiceName(service: unknown): asserts service is string {
  if (!isValidServiceName(service)) {
    throw new MeshConfigError(
      'ERR_INVALID_SERVICE_NAME',
      `Invalid service name ${JSON.stringify(service)}`,
      {
        advice:
          'use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (like a DNS label)',
      },
    );
  }
}

function validateRegistration(options: RegistrationOptions): {
  ttlMs: number;
  heartbeatMs: number;
} {
  assertServiceName(options.service);
  const upstream = options.service;
  const invalid = (code: string, message: string, advice: string): MeshConfigError =>
    new MeshConfigError(code, message, { upstream, advice });
  if (typeof options.address !== 'string' || options.address === '') {
    throw invalid(
      'ERR_INVALID_ADDRESS',
      `Invalid address ${JSON.stringify(options.address)}`,
      'pass the IP address or host name this instance accepts connections on',
    );
  }
  if (!isValidPort(options.port)) {
    throw invalid(
      'ERR_INVALID_PORT',
      `Invalid port ${String(options.port)}`,
      'pass the port the server actually listens on, an integer from 1 to 65535 (read it from server.address() after listen)',
    );
  }
  if (options.weight !== undefined && !isValidWeight(options.weight)) {
    throw invalid(
      'ERR_INVALID_WEIGHT',
      `Invalid weight ${String(options.weight)}`,
      'pass a finite number >= 0, or leave it out for the default of 1',
    );
  }
  if (options.zone !== undefined && typeof options.zone !== 'string') {
    throw invalid('ERR_INVALID_ZONE', 'Invalid zone', 'pass the zone as a string');
  }
  if (options.metadata !== undefined && !isValidMetadata(options.metadata)) {
    throw invalid(
      'ERR_INVALID_METADATA',
      'Invalid metadata',
      'pass metadata as a plain object whose values are all strings',
    );
  }
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const heartbeatMs = options.heartbeatMs ?? ttlMs / 3;
  if (!isValidTtl(ttlMs) || !isValidTtl(heartbeatMs) || heartbeatMs >= ttlMs) {
    throw invalid(
      'ERR_INVALID_LEASE_TIMING',
      `Invalid lease timing: ttlMs ${String(ttlMs)}, heartbeatMs ${String(heartbeatMs)}`,
      'pass positive numbers with heartbeatMs well below ttlMs (the default is a third of it)',
    );
  }
  return { ttlMs, heartbeatMs };
}

/** Lease files to remove synchronously if the process exits without deregistering. */
const leaseFilesToRemoveOnExit = new Set<string>();
let exitHookInstalled = false;

function removeLeaseOnExit(file: string): void {
  leaseFilesToRemoveOnExit.add(file);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const leaseFile of leaseFilesToRemoveOnExit) {
      try {
        unlinkSync(leaseFile);
      } catch {
        // Best effort: the lease expires on its own within its TTL.
      }
    }
  });
}

interface LeaseRegistrationContext {
  logger: MeshLogger;
  now: () => number;
  onDeregistered(registration: LeaseRegistration): void;
}

class LeaseRegistration implements Registration {
  readonly service: string;
  readonly instanceId: string;
  readonly file: string;
  readonly #context: LeaseRegistrationContext;
  readonly #heartbeat: NodeJS.Timeout;
  #lease: Lease;
  /** Tail of the write queue: writes never overlap, so a late rename cannot undo an unlink. */
  #writes: Promise<void> = Promise.resolve();
  #writing = false;
  #failedRenewals = 0;
  #deregistration: Promise<void> | undefined;

  constructor(file: string, lease: Lease, heartbeatMs: number, context: LeaseRegistrationContext) {
    this.service = lease.service;
    this.instanceId = lease.instanceId;
    this.file = file;
    this.#lease = lease;
    this.#context = context;
    this.#heartbeat = setInterval(() => this.#renew(), heartbeatMs);
    this.#heartbeat.unref();
    removeLeaseOnExit(file);
  }

  async setDraining(draining: boolean): Promise<void> {
    if (this.#deregistration) return;
    const { draining: _previous, ...rest } = this.#lease;
    this.#lease = { ...rest, ...(draining && { draining }), renewedAt: this.#context.now() };
    await this.#write().catch((error: unknown) => this.#warnWriteFailed(error, 'draining'));
  }

  deregister(): Promise<void> {
    this.#deregistration ??= this.#removeLease();
    return this.#deregistration;
  }

  async #removeLease(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#writes;
    leaseFilesToRemoveOnExit.delete(this.file);
    try {
      await unlink(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#context.logger.warn(
          {
            service: this.service,
            instanceId: this.instanceId,
            file: this.file,
            err: { message: (error as Error).message },
          },
          'Could not remove the lease file on deregistration; it will be ignored once its TTL passes',
        );
      }
    }
    this.#context.onDeregistered(this);
  }

  #renew(): void {
    // A write still in flight will carry a fresh enough renewedAt; do not queue behind it.
    if (this.#writing || this.#deregistration) return;
    this.#lease = { ...this.#lease, renewedAt: this.#context.now() };
    this.#write().then(
      () => {
        if (this.#failedRenewals > 0) {
          this.#context.logger.info(
            { service: this.service, instanceId: this.instanceId, file: this.file },
            'Lease renewal succeeded again',
          );
        }
        this.#failedRenewals = 0;
      },
      (error: unknown) => {
        this.#failedRenewals += 1;
        this.#warnWriteFailed(error, 'renewal');
      },
    );
  }

  #write(): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#deregistration) return;
      this.#writing = true;
      try {
        await writeLeaseFile(this.file, this.#lease);
      } finally {
        this.#writing = false;
      }
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  #warnWriteFailed(error: unknown, what: 'renewal' | 'draining'): void {
    this.#context.logger.warn(
      {
        service: this.service,
        instanceId: this.instanceId,
        file: this.file,
        failedRenewals: this.#failedRenewals,
        err: { message: error instanceof Error ? error.message : String(error) },
        advice:
          'check that the registry directory still exists and is writable; the write is retried at the next heartbeat, and the lease expires if none succeeds within its TTL',
      },
      what === 'renewal' ? 'Could not renew the lease file' : 'Could not write the draining flag',
    );
  }
}

interface LocalRegistryResolverContext {
  logger: MeshLogger;
  now: () => number;
  scanIntervalMs: number;
  hostname: string;
  onClosed(resolver: LocalRegistryResolver): void;
}

/**
 * Watches one service's lease directory and pushes the live endpoints. Watch events make changes
 * show up at once; the periodic rescan catches missed events and leases that simply expire.
 */
class LocalRegistryResolver implements Resolver {
  readonly description: string;
  readonly #serviceDir: string;
  readonly #service: string;
  readonly #context: LocalRegistryResolverContext;
  readonly #listeners = new Set<EndpointListener>();
  #endpoints: readonly Endpoint[] | undefined;
  #started = false;
  #closed = false;
  #watcher: FSWatcher | undefined;
  /** Device and inode of the watched directory. */
  #watchedIdentity: string | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  #watchEventTimer: NodeJS.Timeout | undefined;
  #scan: Promise<void> | undefined;
  #rescanRequested = false;
  /** File name to the mtime and size it was last warned about, so each bad version warns once. */
  readonly #warnedFiles = new Map<string, string>();
  #directoryProblem: string | undefined;

  constructor(serviceDir: string, service: string, context: LocalRegistryResolverContext) {
    this.description = `local-registry:${serviceDir}`;
    this.#serviceDir = serviceDir;
    this.#service = service;
    this.#context = context;
  }

  subscribe(listener: EndpointListener): () => void {
    if (this.#closed) return () => undefined;
    this.#listeners.add(listener);
    if (this.#endpoints) this.#deliver(listener, this.#endpoints);
    if (!this.#started) this.#start();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    clearInterval(this.#rescanTimer);
    clearTimeout(this.#watchEventTimer);
    this.#closeWatcher();
    await this.#scan;
    this.#context.onClosed(this);
  }

  #start(): void {
    this.#started = true;
    this.#rescanTimer = setInterval(() => this.#requestScan(), this.#context.scanIntervalMs);
    this.#rescanTimer.unref();
    this.#requestScan();
  }

  #requestScan(): void {
    if (this.#closed) return;
    if (this.#scan) {
      this.#rescanRequested = true;
      return;
    }
    this.#scan = this.#scanUntilSettled().finally(() => {
      this.#scan = undefined;
    });
  }

  async #scanUntilSettled(): Promise<void> {
    do {
      this.#rescanRequested = false;
      try {
        await this.#scanOnce();
      } catch (error) {
        this.#context.logger.warn(
          { path: this.#serviceDir, err: { message: (error as Error).message } },
          'Local registry scan failed; keeping the last known endpoints',
        );
      }
    } while (this.#rescanRequested && !this.#closed);
  }

  async #scanOnce(): Promise<void> {
    let names: string[];
    let directoryIdentity: string;
    try {
      const stats = await stat(this.#serviceDir);
      if (!stats.isDirectory()) {
        throw Object.assign(new Error(`${this.#serviceDir} is not a directory`), {
          code: 'ENOTDIR',
        });
      }
      directoryIdentity = `${stats.dev}:${stats.ino}`;
      names = await readdir(this.#serviceDir);
    } catch (error) {
      this.#closeWatcher();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Nobody has registered yet; poll until the directory appears, then watch it.
        this.#directoryProblem = undefined;
        this.#publish([]);
      } else {
        this.#warnDirectoryUnreadable(error as NodeJS.ErrnoException);
      }
      return;
    }
    this.#directoryProblem = undefined;
    this.#watchDirectory(directoryIdentity);
    const leaseFiles = names.filter((name) => name.endsWith('.json'));
    this.#removeAbandonedTempFiles(
      names.filter((name) => name.startsWith('.') && name.endsWith('.tmp')),
    );
    for (const name of this.#warnedFiles.keys()) {
      if (!leaseFiles.includes(name)) this.#warnedFiles.delete(name);
    }
    const leases = await Promise.all(leaseFiles.map((name) => this.#readLease(name)));
    if (this.#closed) return;
    const now = this.#context.now();
    const live = new Map<string, Lease>();
    for (const lease of leases) {
      if (!lease || !this.#isLive(lease, now)) continue;
      const key = endpointKey(lease);
      const seen = live.get(key);
      // Two leases for one address (a restart before the old lease expired): the newest wins.
      if (!seen || seen.renewedAt < lease.renewedAt) live.set(key, lease);
    }
    const endpoints = [...live.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, lease]) => leaseEndpoint(lease));
    this.#publish(endpoints);
  }

  /** A writer killed between write and rename leaves its temp file; nobody else will remove it. */
  #removeAbandonedTempFiles(names: string[]): void {
    const now = Date.now();
    for (const name of names) {
      const file = path.join(this.#serviceDir, name);
      stat(file)
        .then((stats) =>
          now - stats.mtimeMs > ABANDONED_TEMP_FILE_AGE_MS ? rm(file, { force: true }) : undefined,
        )
        .catch(() => undefined);
    }
  }

  async #readLease(name: string): Promise<Lease | undefined> {
    const file = path.join(this.#serviceDir, name);
    let text: string;
    let version: string;
    try {
      const stats = await stat(file);
      if (!stats.isFile()) return undefined;
      version = `${stats.mtimeMs}:${stats.size}`;
      if (stats.size > MAX_LEASE_FILE_BYTES) {
        this.#warnInvalidLease(name, version, `the file is ${stats.size} bytes, too large`);
        return undefined;
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      // Deregistered or garbage-collected between listing and reading: simply gone.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.#warnInvalidLease(name, 'unreadable', `cannot be read: ${(error as Error).message}`);
      return undefined;
    }
    const { lease, problem } = parseLease(text);
    if (!lease) {
      this.#warnInvalidLease(name, version, problem);
      return undefined;
    }
    if (lease.service !== this.#service) {
      this.#warnInvalidLease(name, version, `it is a lease for service "${lease.service}"`);
      return undefined;
    }
    if (`${lease.instanceId}.json` !== name) {
      this.#warnInvalidLease(name, version, `its instanceId "${lease.instanceId}" is not its name`);
      return undefined;
    }
    this.#warnedFiles.delete(name);
    this.#collectIfAbandoned(file, lease);
    return lease;
  }

  #isLive(lease: Lease, now: number): boolean {
    if (isLeaseExpired(lease, now)) return false;
    // A crashed instance on this machine leaves at once instead of after its TTL.
    return lease.hostname !== this.#context.hostname || isProcessAlive(lease.pid);
  }

  #collectIfAbandoned(file: string, lease: Lease): void {
    if (lease.renewedAt + GARBAGE_COLLECT_AFTER_TTLS * lease.ttlMs >= this.#context.now()) return;
    rm(file, { force: true }).catch(() => undefined);
  }

  #publish(endpoints: readonly Endpoint[]): void {
    if (this.#closed || sameEndpointSet(this.#endpoints, endpoints)) return;
    this.#endpoints = Object.freeze(endpoints);
    for (const listener of [...this.#listeners]) this.#deliver(listener, this.#endpoints);
  }

  #deliver(listener: EndpointListener, endpoints: readonly Endpoint[]): void {
    try {
      listener(endpoints);
    } catch (error) {
      this.#context.logger.warn(
        { resolver: this.description, err: { message: (error as Error).message } },
        'An endpoint listener threw; the resolver keeps running',
      );
    }
  }

  /** Watches the directory, again if it was replaced: a watch on a deleted one sees nothing. */
  #watchDirectory(identity: string): void {
    if (this.#closed || (this.#watcher && this.#watchedIdentity === identity)) return;
    this.#closeWatcher();
    this.#watchedIdentity = identity;
    try {
      // Not persistent: a resolver alone never keeps the process running.
      const watcher = watch(this.#serviceDir, { persistent: false }, () => this.#onWatchEvent());
      watcher.on('error', () => {
        // The periodic rescan keeps working and watches again once the directory is back.
        this.#closeWatcher();
        this.#onWatchEvent();
      });
      this.#watcher = watcher;
    } catch {
      // Same as above: polling covers the gap.
    }
  }

  #onWatchEvent(): void {
    if (this.#closed || this.#watchEventTimer) return;
    this.#watchEventTimer = setTimeout(() => {
      this.#watchEventTimer = undefined;
      this.#requestScan();
    }, WATCH_EVENT_DELAY_MS);
    this.#watchEventTimer.unref();
  }

  #closeWatcher(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #warnInvalidLease(name: string, version: string, problem: string): void {
    if (this.#warnedFiles.get(name) === version) return;
    this.#warnedFiles.set(name, version);
    this.#context.logger.warn(
      {
        file: path.join(this.#serviceDir, name),
        problem,
        advice:
          'lease files are written whole by the mesh, so this one did not come from a running instance; delete it',
      },
      `Ignoring invalid lease file ${name}: ${problem}`,
    );
  }

  #warnDirectoryUnreadable(error: NodeJS.ErrnoException): void {
    const problem = error.code ?? error.message;
    if (this.#directoryProblem === problem) return;
    this.#directoryProblem = problem;
    this.#context.logger.warn(
      {
        path: this.#serviceDir,
        code: error.code,
        err: { message: error.message },
        advice:
          error.code === 'ENOTDIR'
            ? 'something that is not a directory is in the way: remove it, or point TRELLIS_REGISTRY_DIR elsewhere'
            : 'give this process read access to the directory, or point TRELLIS_REGISTRY_DIR elsewhere',
      },
      `Cannot read the local registry directory ${this.#serviceDir}; keeping the last known endpoints`,
    );
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function sameEndpointSet(
  previous: readonly Endpoint[] | undefined,
  next: readonly Endpoint[],
): boolean {
  return (
    previous !== undefined &&
    previous.length === next.length &&
    previous.every((endpoint, index) => sameEndpoint(endpoint, next[index]))
  );
}
