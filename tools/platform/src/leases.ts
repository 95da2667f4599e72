import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lease } from '@trellis/mesh';

/** The registry keeps `<dir>/<service>/<instance>.json`; these read and clean it from outside. */

async function readLease(file: string): Promise<Lease | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Lease;
  } catch {
    // Gone between the listing and the read, or half written: not a lease to use yet.
    return undefined;
  }
}

/** The lease a replica process wrote: its pid and its `replica` metadata. */
export async function findLease(
  registryDir: string,
  service: string,
  replica: string,
  pid: number,
): Promise<Lease | undefined> {
  const directory = join(registryDir, service);
  const names = await readdir(directory).catch(() => [] as string[]);
  for (const name of names.filter((file) => file.endsWith('.json'))) {
    const lease = await readLease(join(directory, name));
    if (lease?.pid === pid && lease.metadata?.['replica'] === replica) return lease;
  }
  return undefined;
}

export function leaseUrl(lease: Pick<Lease, 'address' | 'port'>): string {
  const host = lease.address.includes(':') ? `[${lease.address}]` : lease.address;
  return `http://${host}:${lease.port}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lease files (and leftover temp files) `shouldRemove` picks. Synchronous, so it also
 * runs in a dying process's exit hook; a SIGKILLed replica never removes its own.
 */
function removeLeases(registryDir: string, shouldRemove: (pid: number) => boolean): number {
  let removed = 0;
  let services: string[];
  try {
    services = readdirSync(registryDir);
  } catch {
    return 0;
  }
  for (const service of services) {
    let names: string[];
    try {
      names = readdirSync(join(registryDir, service));
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(registryDir, service, name);
      let pid: number | undefined;
      if (name.endsWith('.json')) {
        try {
          pid = (JSON.parse(readFileSync(file, 'utf8')) as Partial<Lease>).pid;
        } catch {
          continue;
        }
      } else {
        // A writer's temp file: `.<instance>.<pid>.<random>.tmp`.
        const match = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
        pid = match ? Number(match[1]) : undefined;
      }
      if (typeof pid === 'number' && shouldRemove(pid)) {
        rmSync(file, { force: true });
        removed += 1;
      }
    }
  }
  return removed;
}

/** Removes the leases written by these processes. */
export function removeLeasesOf(registryDir: string, pids: ReadonlySet<number>): number {
  return removeLeases(registryDir, (pid) => pids.has(pid));
}

/** Removes the leases of processes that are gone (left by an earlier run that was killed). */
export function removeDeadLeases(registryDir: string): number {
  return removeLeases(registryDir, (pid) => !isAlive(pid));
}

export { isAlive };
