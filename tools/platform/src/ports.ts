import { createServer } from 'node:net';

/** Whether nothing listens on `host:port` right now (it is free for the next moment only). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free port from `first` on, skipping `reserved`; tries `attempts` ports. */
export async function firstFreePort(
  first: number,
  reserved: ReadonlySet<number>,
  attempts = 50,
): Promise<number | undefined> {
  for (let port = first; port < first + attempts && port <= 65_535; port += 1) {
    if (!reserved.has(port) && (await isPortFree(port))) return port;
  }
  return undefined;
}
