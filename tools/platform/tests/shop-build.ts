import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, type Platform } from '../src/platform.js';
import type { Service } from '../src/services.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** Every service of the shop, in the order the launcher starts them. */
export const SHOP_APPS = [
  'catalog',
  'cart',
  'shipping',
  'payments',
  'checkout',
  'storefront',
  'loadgen',
] as const;

/** Compiles the shop's services as they ship (CommonJS with their libraries' builds). */
export async function buildShop(): Promise<void> {
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  await promisify(execFile)(
    tsc,
    ['--build', ...SHOP_APPS.map((app) => join(repoRoot, 'apps', app, 'tsconfig.app.json'))],
    { cwd: repoRoot },
  );
}

/** The shop started for a test file, with a state directory of its own. */
export interface TestPlatform {
  readonly platform: Platform;
  /** Holds `launcher.json`, the replicas' logs and the registry (`<stateDir>/registry`). */
  readonly stateDir: string;
  /** Stops every replica, then removes the state directory. */
  stop(): Promise<void>;
}

/**
 * Starts the compiled shop (see `buildShop`) with storefront-1 on a free port, in a fresh temp
 * directory named `<prefix>…`; the directory goes again if the start fails.
 */
export async function startTestPlatform(
  prefix: string,
  replicas: Readonly<Record<Service, number>>,
  loadRps: number,
): Promise<TestPlatform> {
  const stateDir = await mkdtemp(join(tmpdir(), prefix));
  const removeStateDir = () => rm(stateDir, { recursive: true, force: true });
  try {
    const platform = await startPlatform({
      repoRoot,
      registryDir: join(stateDir, 'registry'),
      stateDir,
      storefrontPort: 0,
      replicas,
      loadRps,
    });
    return {
      platform,
      stateDir,
      stop: async () => {
        await platform.stop();
        await removeStateDir();
      },
    };
  } catch (error) {
    await removeStateDir();
    throw error;
  }
}
