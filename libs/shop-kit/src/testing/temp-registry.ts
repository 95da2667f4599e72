import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local registry's directory of its own, under the system's temp directory. */
export interface TempRegistry {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Creates an empty directory named `<prefix><random>` for a `LocalRegistry`. */
export async function createTempRegistry(prefix: string): Promise<TempRegistry> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
