import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Endpoint } from '../../src/endpoint.js';

export interface ReplicaProcess {
  readonly name: string;
  readonly port: number;
  readonly endpoint: Endpoint;
  readonly child: ChildProcess;
  kill(signal?: NodeJS.Signals): void;
}

const fixture = join(import.meta.dirname, '..', 'fixtures', 'replica-process.mjs');

/** Starts a replica in its own process and resolves once it listens. */
export function startReplicaProcess(
  name: string,
  mode: 'ok' | 'hang' | '503' = 'ok',
  delayMs = 0,
): Promise<ReplicaProcess> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, MODE: mode, DELAY_MS: String(delayMs), REPLICA_NAME: name },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 10 s`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${name} exited early with code ${code}`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.once('data', (line: string) => {
      clearTimeout(timer);
      const port = Number(/READY (\d+)/.exec(line)?.[1]);
      resolve({
        name,
        port,
        endpoint: { address: '127.0.0.1', port },
        child,
        kill: (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      });
    });
  });
}

export async function stopAll(replicas: readonly ReplicaProcess[]): Promise<void> {
  await Promise.all(
    replicas.map(
      (replica) =>
        new Promise<void>((resolve) => {
          if (replica.child.exitCode !== null || replica.child.signalCode !== null)
            return resolve();
          replica.child.once('exit', () => resolve());
          replica.kill('SIGKILL');
        }),
    ),
  );
}
