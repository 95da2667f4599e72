import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '../../src/endpoint.js';

/** A real HTTP server on a loopback port chosen by the OS, with knobs for latency and failure. */
export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly endpoint: Endpoint;
  /** Requests this replica has received. */
  hits: number;
  /** Added latency per request, in ms. */
  delayMs: number;
  /** Status code to answer with (200 by default). */
  status: number;
  /** While true, requests are read and never answered (until the replica closes). */
  hung: boolean;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  delayMs?: number;
  zone?: string;
  metadata?: Record<string, string>;
  weight?: number;
}

/** Answers every request with JSON `{ replica, method, url, body }` after `delayMs`. */
export async function startReplica(name: string, options: ReplicaOptions = {}): Promise<Replica> {
  const replica = {
    name,
    hits: 0,
    delayMs: options.delayMs ?? 0,
    status: 200,
    hung: false,
  } as Replica & { server: Server };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    replica.hits += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (replica.hung) return;
      const answer = (): void => {
        response.writeHead(replica.status, {
          'content-type': 'application/json',
          'x-replica': name,
        });
        response.end(
          JSON.stringify({
            replica: name,
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      };
      if (replica.delayMs > 0) setTimeout(answer, replica.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(replica, {
    server,
    port,
    endpoint: {
      address: '127.0.0.1',
      port,
      ...(options.zone ? { zone: options.zone } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.weight !== undefined ? { weight: options.weight } : {}),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return replica;
}

export async function startReplicas(
  count: number,
  prefix = 'replica',
  options: ReplicaOptions = {},
): Promise<Replica[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => startReplica(`${prefix}-${index + 1}`, options)),
  );
}

/** A resolver whose endpoint set the test changes at will, like discovery would. */
export class ControlledResolver {
  readonly description = 'test';
  #listeners = new Set<(endpoints: readonly Endpoint[]) => void>();
  #endpoints: readonly Endpoint[] | undefined;

  constructor(endpoints?: readonly Endpoint[]) {
    this.#endpoints = endpoints;
  }

  set(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
    for (const listener of this.#listeners) listener(endpoints);
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): () => void {
    this.#listeners.add(listener);
    if (this.#endpoints) listener(this.#endpoints);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
