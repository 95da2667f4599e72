import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  userId: string | undefined;
  idempotencyKey: string | undefined;
  body: unknown;
}

export interface FakeStorefrontOptions {
  /** Accept requests and never answer them. */
  stall?: boolean;
  /** Answer checkouts with this status and a shop error body. */
  checkoutStatus?: number;
}

const PRODUCTS = [
  { sku: 'tea-01', name: 'Sencha', category: 'tea', priceCents: 450, stock: 50 },
  { sku: 'coffee-02', name: 'Colombia', category: 'coffee', priceCents: 900, stock: 50 },
];

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text === '' ? undefined : JSON.parse(text);
}

/** A real HTTP server with the storefront BFF's routes that records every request it gets. */
export async function startFakeStorefront(options: FakeStorefrontOptions = {}) {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = request.url ?? '';
      received.push({
        method: request.method ?? '',
        path,
        userId: request.headers['x-user-id'] as string | undefined,
        idempotencyKey: request.headers['idempotency-key'] as string | undefined,
        body,
      });
      if (options.stall) return;
      const answer = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.method === 'GET' && path === '/api/products') return answer(200, PRODUCTS);
      const product = /^\/api\/products\/([^/]+)$/.exec(path);
      if (request.method === 'GET' && product) {
        const found = PRODUCTS.find((item) => item.sku === product[1]);
        return found ? answer(200, found) : answer(404, { error: { message: 'no such product' } });
      }
      if (request.method === 'PUT' && path.startsWith('/api/cart/items/')) {
        return answer(200, { userId: request.headers['x-user-id'], items: [], subtotalCents: 0 });
      }
      if (request.method === 'POST' && path === '/api/checkout') {
        if (options.checkoutStatus) {
          return answer(options.checkoutStatus, {
            error: { code: 'ERR_PAYMENT_DECLINED', message: 'the card was declined' },
          });
        }
        return answer(201, { orderId: 'ord_1', status: 'confirmed' });
      }
      answer(404, { error: { message: `no route ${request.method} ${path}` } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    received,
    count: (method: string, pattern: RegExp) =>
      received.filter((request) => request.method === method && pattern.test(request.path)).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeStorefront = Awaited<ReturnType<typeof startFakeStorefront>>;
