import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
