import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The "<service> is up" line `runService` logs, with the URL it listens on. */
const UP_LINE = /"url":"(http:\/\/[^"]+)"[^\n]*is up/;

/**
 * Compiles an app as it ships: `tsc --build tsconfig.app.json` in `appRoot`, which builds the
 * libraries it references too (CommonJS, into `dist/`).
 */
export async function buildService(appRoot: string): Promise<void> {
  // The TypeScript the app itself resolves, run by this Node.
  const tsc = createRequire(join(appRoot, 'package.json')).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '--build', 'tsconfig.app.json'], {
    cwd: appRoot,
  });
}

/** One service running as a process of its own. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended the process). */
  readonly exited: Promise<number | null>;
  /** `http://<host>:<port>` from the "is up" line; rejects if the process exits before it. */
  readonly url: Promise<string>;
  /** Everything the process has printed so far, stdout and stderr as they came. */
  output(): string;
}

/** Spawns `node <main>` with this process's environment and `env` over it. */
export function startServiceProcess(main: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let announce: (url: string) => void = () => undefined;
  let giveUp: (error: Error) => void = () => undefined;
  const url = new Promise<string>((resolve, reject) => {
    announce = resolve;
    giveUp = reject;
  });
  // A test that never asks for the URL must not see an unhandled rejection when the process exits.
  url.catch(() => undefined);
  let isUp = false;
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    // Scanned only until the line appears: a busy service prints a lot afterwards.
    const up = isUp ? null : UP_LINE.exec(output);
    if (up) {
      isUp = true;
      announce(up[1]!);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      giveUp(new Error(`${main} exited with ${code} before it was up:\n${output}`));
      resolve(code);
    }),
  );
  return { child, exited, url, output: () => output };
}
