import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAlive } from './leases.js';

/** `<state dir>/launcher.json`: where a running launcher's control API listens. */
export interface LauncherFile {
  url: string;
  pid: number;
}

export const LAUNCHER_FILE = 'launcher.json';

export function writeLauncherFile(stateDir: string, launcher: LauncherFile): string {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, LAUNCHER_FILE);
  writeFileSync(file, `${JSON.stringify(launcher, null, 2)}\n`);
  return file;
}

/** Reads a launcher file; undefined when it is missing or not one. */
export function readLauncherFile(file: string): LauncherFile | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<LauncherFile>;
    if (typeof value.url === 'string' && typeof value.pid === 'number') {
      return { url: value.url, pid: value.pid };
    }
  } catch {
    // Missing or garbled: no launcher.
  }
  return undefined;
}

/** Removes the file, but only if it is still this process's (a newer launcher may own it). */
export function removeLauncherFile(stateDir: string, pid = process.pid): void {
  const file = join(stateDir, LAUNCHER_FILE);
  if (readLauncherFile(file)?.pid === pid) rmSync(file, { force: true });
}

/** A launcher whose process is still alive in `stateDir`, if there is one. */
export function runningLauncher(stateDir: string): LauncherFile | undefined {
  const launcher = readLauncherFile(join(stateDir, LAUNCHER_FILE));
  return launcher && launcher.pid !== process.pid && isAlive(launcher.pid) ? launcher : undefined;
}

/**
 * Where the CLI finds the launcher: `TRELLIS_LAUNCHER_URL`, else the nearest
 * `.trellis/launcher.json` walking up from `cwd`.
 */
export function locateLauncher(
  cwd: string,
  env: NodeJS.ProcessEnv,
): { url: string; source: string } | undefined {
  if (env['TRELLIS_LAUNCHER_URL']) {
    return { url: env['TRELLIS_LAUNCHER_URL'], source: 'TRELLIS_LAUNCHER_URL' };
  }
  for (let directory = cwd; ; directory = dirname(directory)) {
    const file = join(directory, '.trellis', LAUNCHER_FILE);
    if (existsSync(file)) {
      // A file left by a launcher that was killed is skipped.
      const launcher = readLauncherFile(file);
      if (launcher && isAlive(launcher.pid)) return { url: launcher.url, source: file };
    }
    if (dirname(directory) === directory) return undefined;
  }
}
