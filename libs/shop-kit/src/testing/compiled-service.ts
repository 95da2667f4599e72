import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildService, startServiceProcess, type ServiceProcess } from './service-process.js';
import { createTempRegistry, type TempRegistry } from './temp-registry.js';

/** A test file's compiled service and the registry its processes share. */
export interface CompiledService {
  /** The registry's directory; readable once the file's `beforeAll` hooks have run. */
  readonly registryDir: string;
  /** Spawns `<appRoot>/dist/main.js` registering in the registry, with `env` over the rest. */
  start(env?: Record<string, string>): ServiceProcess;
  /** The lease files (`*.json`) that `service` has in the registry now. */
  leaseFiles(service: string): Promise<string[]>;
}

/**
 * For a test file that runs its service as a real process: compiles the app before the file's
 * tests (as it ships, so a process test sees what `npm start` runs), gives them a fresh registry
 * named `<service>-registry-…`, and removes the registry after them.
 */
export function useCompiledService(appRoot: string, service: string): CompiledService {
  let registry: TempRegistry | undefined;
  const main = join(appRoot, 'dist', 'main.js');
  const registryDir = (): string => {
    if (!registry) throw new Error(`the ${service} registry exists only while the tests run`);
    return registry.dir;
  };

  beforeAll(async () => {
    await buildService(appRoot);
    registry = await createTempRegistry(`${service}-registry-`);
  }, 120_000);
  afterAll(() => registry?.remove());

  return {
    get registryDir() {
      return registryDir();
    },
    start: (env = {}) => startServiceProcess(main, { TRELLIS_REGISTRY_DIR: registryDir(), ...env }),
    leaseFiles: async (leaseholder) =>
      (await readdir(join(registryDir(), leaseholder))).filter((name) => name.endsWith('.json')),
  };
}
