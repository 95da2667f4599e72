import { mkdtemp, rm } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry } from '@trellis/mesh';
import {
  startMeshServer,
  type MeshServerHandle,
  type StartMeshServerOptions,
} from '../../src/index.js';
import { captureLogger } from './capture-logger.js';

export interface TestServer {
  handle: MeshServerHandle;
  registry: LocalRegistry;
  dir: string;
  exitCodes: number[];
  logger: ReturnType<typeof captureLogger>;
  /** Drains (if nobody did), closes the registry and removes its directory. */
  dispose(): Promise<void>;
}

/** startMeshServer in this process, with its own registry directory and no signal handling. */
export async function startTestServer(
  app: RequestListener,
  options: Partial<StartMeshServerOptions> & Pick<StartMeshServerOptions, 'state'>,
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-express-'));
  const registry = new LocalRegistry({ dir });
  const exitCodes: number[] = [];
  const logger = captureLogger();
  const handle = await startMeshServer(app, {
    registry,
    signals: [],
    exit: (code) => exitCodes.push(code),
    logger,
    drain: { delayMs: 0, timeoutMs: 1_000 },
    ...options,
  });
  return {
    handle,
    registry,
    dir,
    exitCodes,
    logger,
    dispose: async () => {
      handle.server.closeAllConnections();
      await handle.drain();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
