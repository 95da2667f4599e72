import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');

/** Builds the SDK and this library to dist, as the fixture processes import them from there. */
export async function buildLibraries(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      join(repoRoot, 'node_modules', '.bin', 'tsc'),
      '--build',
      'libs/mesh/tsconfig.lib.json',
      'libs/mesh-express/tsconfig.lib.json',
    ],
    { cwd: repoRoot },
  );
}
