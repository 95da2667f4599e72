import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

export const platformRoot = join(import.meta.dirname, '..', '..');
export const repoRoot = join(platformRoot, '..', '..');

const run = promisify(execFile);

/** Compiles projects as they ship (`tsc --build`), so replicas run their real `dist/main.js`. */
export async function build(...tsconfigs: string[]): Promise<void> {
  for (const tsconfig of tsconfigs) {
    await run(
      process.execPath,
      [join(repoRoot, 'node_modules', '.bin', 'tsc'), '--build', tsconfig],
      {
        cwd: repoRoot,
      },
    );
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `read` gives a value other than undefined or false; checks every 100 ms. */
export async function waitFor<T>(
  read: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every lease file in a registry dir, parsed, with its service's directory. */
export async function leasesIn(
  registryDir: string,
): Promise<{ service: string; pid: number; metadata?: Record<string, string>; port: number }[]> {
  const leases = [];
  const services = await readdir(registryDir).catch(() => [] as string[]);
  for (const service of services) {
    const names = await readdir(join(registryDir, service)).catch(() => [] as string[]);
    for (const name of names.filter((file) => file.endsWith('.json'))) {
      try {
        leases.push({
          service,
          ...JSON.parse(await readFile(join(registryDir, service, name), 'utf8')),
        });
      } catch {
        // Removed between the listing and the read.
      }
    }
  }
  return leases;
}
