import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

/** Builds the packages the fixtures import (through the workspace's node_modules links). */
export function buildPackages(): void {
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', 'libs/mesh/tsconfig.lib.json', 'libs/telemetry/tsconfig.lib.json'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Output {
  readonly stdout: string[];
  stderr: string;
}

/** A fixture service in a process of its own. */
export class Service {
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly port: number,
    /** What `telemetryStatus()` said once the app was loaded. */
    readonly telemetry: string,
    readonly exited: Promise<Exit>,
    private readonly output: Output,
  ) {}

  /** Lines written to stdout so far. */
  get stdout(): readonly string[] {
    return this.output.stdout;
  }

  get stderr(): string {
    return this.output.stderr;
  }

  /** The JSON lines the service logged on stdout. */
  logLines(): Record<string, unknown>[] {
    return this.output.stdout
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Sends a signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', withinMs = 20_000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${withinMs} ms of ${signal}`)),
        withinMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `node <preload flag> @trellis/telemetry/register <fixture>`; resolves once it listens. */
  static start(
    name: string,
    preload: '--require' | '--import',
    fixture: string,
    env: Record<string, string>,
  ): Promise<Service> {
    const child = spawn(
      process.execPath,
      [preload, '@trellis/telemetry/register', join(fixturesDir, fixture)],
      {
        // The preload is resolved from the working directory, as an operator would type it.
        cwd: fixturesDir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    running.add(child);
    const exited = new Promise<Exit>((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    const output: Output = { stdout: [], stderr: '' };
    let pending = '';
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (output.stderr += chunk));
    return new Promise((resolve, reject) => {
      let started = false;
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start within 15 s:\n${output.stderr}`)),
        15_000,
      );
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (!started)
          reject(new Error(`${name} exited early (${code ?? signal}):\n${output.stderr}`));
      });
      child.stdout!.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          output.stdout.push(line);
          const ready = /^READY (\d+) (\S+)$/.exec(line);
          if (ready && !started) {
            started = true;
            clearTimeout(timer);
            resolve(new Service(name, child, Number(ready[1]), ready[2]!, exited, output));
          }
        }
      });
    });
  }
}

const running = new Set<ChildProcess>();

/** Kills whatever a failed test left running. */
export async function killLeftovers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The environment both fixtures get: OTLP/HTTP JSON to the receiver, flushed quickly. */
export function otelEnv(endpoint: string, service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

/** A W3C traceparent made up by the test, as an upstream caller would send it. */
export function madeUpTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

/** A loopback port nothing listens on (bound a moment ago, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
