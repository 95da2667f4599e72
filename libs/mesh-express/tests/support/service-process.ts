import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'service.mjs');

/** One fixture service in its own process. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly instanceId: string;
  readonly url: string;
  /** Everything it logged so far (JSON lines). */
  logs(): string;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
}

const running = new Set<ChildProcess>();

/** Starts the fixture and resolves once it has registered. */
export function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal as NodeJS.Signals));
    });
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the service did not start within 10 s:\n${stderr}`));
    }, 10_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /READY (\d+) (\S+)\n/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        child,
        port,
        instanceId: match[2] as string,
        url: `http://127.0.0.1:${port}`,
        logs: () => stderr,
        exited,
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${String(code)}) before it was ready:\n${stderr}`));
    });
  });
}

/** SIGKILLs every fixture still running and waits for them: no test leaves a process behind. */
export async function killAllServices(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
