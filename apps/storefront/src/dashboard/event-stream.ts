import type { Request, Response } from 'express';

export const DEFAULT_MAX_CLIENTS = 50;
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream. */
const RECONNECT_AFTER_MS = 2_000;

export interface EventStreamOptions {
  maxClients?: number;
  heartbeatMs?: number;
  /** Called when the number of clients changes. */
  onClientsChanged?: (clients: number) => void;
}

/**
 * Server-sent events to any number of browsers, up to a cap: each client is dropped when its
 * connection closes, and a comment line every `heartbeatMs` keeps idle proxies from cutting it.
 */
export class EventStream {
  readonly #clients = new Set<Response>();
  readonly #maxClients: number;
  readonly #onClientsChanged: (clients: number) => void;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(options: EventStreamOptions = {}) {
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.#onClientsChanged = options.onClientsChanged ?? (() => undefined);
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.write(': heartbeat\n\n');
    }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over the response as an event stream; false (and a 503 sent) when full. */
  accept(request: Request, response: Response): boolean {
    if (this.#clients.size >= this.#maxClients) {
      response
        .status(503)
        .setHeader('retry-after', '5')
        .json({
          error: {
            code: 'ERR_TOO_MANY_CLIENTS',
            message: `the dashboard already streams to ${this.#maxClients} clients; try again later`,
          },
        });
      return false;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
    this.#clients.add(response);
    const drop = (): void => {
      if (this.#clients.delete(response)) this.#onClientsChanged(this.#clients.size);
    };
    request.on('close', drop);
    response.on('close', drop);
    response.on('error', drop);
    this.#onClientsChanged(this.#clients.size);
    return true;
  }

  /** Sends one event to a single client. */
  sendTo(response: Response, event: string, data: unknown): void {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  broadcast(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.#clients) client.write(frame);
  }

  /** Ends every stream (browsers reconnect to another replica) and stops the heartbeat. */
  close(): void {
    clearInterval(this.#heartbeat);
    const clients = [...this.#clients];
    this.#clients.clear();
    for (const client of clients) client.end();
    if (clients.length > 0) this.#onClientsChanged(0);
  }
}
