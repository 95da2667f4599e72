import { execFile, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServiceProcess } from '@trellis/shop-kit/testing';

const appsRoot = join(__dirname, '..', '..', '..');
const repoRoot = join(appsRoot, '..');

/** The shop services a checkout test runs as real processes, from their compiled `dist/`. */
export type ShopService = 'catalog' | 'cart' | 'shipping' | 'payments' | 'checkout';

/**
 * Compiles the services as they ship (CommonJS, with their libraries' builds). Apps may not
 * import each other, so the tests run them as processes instead.
 */
export async function buildServices(services: readonly ShopService[]): Promise<void> {
  await promisify(execFile)(
    join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['--build', ...services.map((service) => join(appsRoot, service, 'tsconfig.app.json'))],
    { cwd: repoRoot },
  );
}

/** One running service process and what it printed. */
export interface ServiceProcess {
  readonly service: ShopService;
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the service's "is up" log line. */
  readonly url: string;
  readonly port: number;
  readonly exited: Promise<number | null>;
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after 15 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `node apps/<service>/dist/main.js` and waits until it listens and is registered. */
export async function startService(
  service: ShopService,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const started = startServiceProcess(join(appsRoot, service, 'dist', 'main.js'), {
    DRAIN_DELAY_MS: '0',
    ...env,
  });
  const { child, exited } = started;
  let timer: NodeJS.Timeout | undefined;
  const tooLate = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not come up within 20 s:\n${started.output()}`));
    }, 20_000);
  });
  const url = await Promise.race([started.url, tooLate]).finally(() => clearTimeout(timer));
  return {
    service,
    child,
    url,
    port: Number(new URL(url).port),
    exited,
    output: started.output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

/** A JSON call straight to one process (not through the mesh), for arranging and checking. */
export async function call<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: response.headers,
  };
}
