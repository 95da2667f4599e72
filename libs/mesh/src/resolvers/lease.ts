import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Endpoint } from '../endpoint.js';

/** The only lease format this code reads and writes; anything else is skipped with a warning. */
export const LEASE_VERSION = 1;

/** Leases are a few hundred bytes; a file far larger than that is not a lease. */
export const MAX_LEASE_FILE_BYTES = 64 * 1024;

/** DNS-label-like, so a service name is always one safe path segment. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Instance ids become file names: one path segment, no dot at the start. */
const INSTANCE_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** One instance's claim to be serving a service, valid until `renewedAt + ttlMs`. */
export interface Lease {
  readonly version: typeof LEASE_VERSION;
  readonly service: string;
  readonly instanceId: string;
  readonly address: string;
  readonly port: number;
  readonly zone?: string;
  readonly weight?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly draining?: boolean;
  readonly pid: number;
  readonly hostname: string;
  readonly ttlMs: number;
  /** Wall-clock epoch milliseconds of the last successful heartbeat. */
  readonly renewedAt: number;
}

export type LeaseParseResult =
  | { readonly lease: Lease; readonly problem?: undefined }
  | { readonly lease?: undefined; readonly problem: string };

export function isValidServiceName(service: unknown): service is string {
  return typeof service === 'string' && SERVICE_NAME_PATTERN.test(service);
}

export function isValidInstanceId(instanceId: unknown): instanceId is string {
  return typeof instanceId === 'string' && INSTANCE_ID_PATTERN.test(instanceId);
}

export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65_535;
}

export function isValidWeight(weight: unknown): weight is number {
  return typeof weight === 'number' && Number.isFinite(weight) && weight >= 0;
}

export function isValidMetadata(metadata: unknown): metadata is Record<string, string> {
  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every((value) => typeof value === 'string')
  );
}

export function isValidTtl(ttlMs: unknown): ttlMs is number {
  return typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0;
}

/** Whether nobody has renewed the lease within its TTL as of `now` (epoch ms). */
export function isLeaseExpired(lease: Pick<Lease, 'renewedAt' | 'ttlMs'>, now: number): boolean {
  return lease.renewedAt + lease.ttlMs < now;
}

/** The endpoint a lease advertises, with only the optional fields it actually sets. */
export function leaseEndpoint(lease: Lease): Endpoint {
  return {
    address: lease.address,
    port: lease.port,
    ...(lease.weight !== undefined && { weight: lease.weight }),
    ...(lease.zone !== undefined && { zone: lease.zone }),
    ...(lease.draining && { draining: true }),
    ...(lease.metadata !== undefined && { metadata: { ...lease.metadata } }),
  };
}

export function serializeLease(lease: Lease): string {
  return `${JSON.stringify(lease, null, 2)}\n`;
}

/** Parses and validates a lease file's text; on failure says what is wrong, for a warning. */
export function parseLease(text: string): LeaseParseResult {
  if (text.trim() === '') return { problem: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      problem: `not valid JSON, perhaps truncated (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const problem = describeLeaseProblem(value);
  return problem === undefined ? { lease: value as Lease } : { problem };
}

function describeLeaseProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the JSON is not an object';
  }
  const lease = value as Record<string, unknown>;
  if (lease.version !== LEASE_VERSION) {
    return `lease version ${JSON.stringify(lease.version)} is not supported (expected ${LEASE_VERSION})`;
  }
  if (!isValidServiceName(lease.service)) return field('service', 'a DNS-label-like name');
  if (!isValidInstanceId(lease.instanceId)) return field('instanceId', 'a file-name-safe id');
  if (typeof lease.address !== 'string' || lease.address === '') {
    return field('address', 'a non-empty string');
  }
  if (!isValidPort(lease.port)) return field('port', 'an integer from 1 to 65535');
  if (lease.zone !== undefined && typeof lease.zone !== 'string') return field('zone', 'a string');
  if (lease.weight !== undefined && !isValidWeight(lease.weight)) {
    return field('weight', 'a finite number >= 0');
  }
  if (lease.metadata !== undefined && !isValidMetadata(lease.metadata)) {
    return field('metadata', 'an object of string values');
  }
  if (lease.draining !== undefined && typeof lease.draining !== 'boolean') {
    return field('draining', 'a boolean');
  }
  if (typeof lease.pid !== 'number' || !Number.isInteger(lease.pid) || lease.pid <= 0) {
    return field('pid', 'a positive integer');
  }
  if (typeof lease.hostname !== 'string') return field('hostname', 'a string');
  if (!isValidTtl(lease.ttlMs)) return field('ttlMs', 'a positive number');
  if (typeof lease.renewedAt !== 'number' || !Number.isFinite(lease.renewedAt)) {
    return field('renewedAt', 'epoch milliseconds');
  }
  return undefined;
}

function field(name: string, expected: string): string {
  return `field "${name}" must be ${expected}`;
}

/**
 * Writes the lease to `file` through a temp file in the same directory and a rename, so a reader
 * sees the old lease or the new one, never part of one. Recreates the directory if it vanished.
 */
export async function writeLeaseFile(file: string, lease: Lease): Promise<void> {
  const directory = path.dirname(file);
  // Not `*.json`, so scanners never pick up a temp file.
  const tempFile = path.join(
    directory,
    `.${path.basename(file, '.json')}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const text = serializeLease(lease);
  try {
    try {
      await writeFile(tempFile, text, { mode: 0o644 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(directory, { recursive: true });
      await writeFile(tempFile, text, { mode: 0o644 });
    }
    await rename(tempFile, file);
  } catch (error) {
    await rm(tempFile, { force: true }).catch(() => undefined);
    throw error;
  }
}
