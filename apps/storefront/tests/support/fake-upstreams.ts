// Small real HTTP servers that answer like the shop's catalog, cart and checkout services do in
// docs/shop.md, and record what the storefront sent them.
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express, { type Express } from 'express';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeServer {
  readonly endpoint: { address: string; port: number };
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeProduct {
  sku: string;
  name: string;
  category: string;
  priceCents: number;
  stock: number;
}

export interface CartLine {
  sku: string;
  qty: number;
}

export const PRODUCTS: readonly FakeProduct[] = [
  { sku: 'tea-01', name: 'Sencha', category: 'tea', priceCents: 450, stock: 40 },
  { sku: 'tea-07', name: 'Earl Grey', category: 'tea', priceCents: 520, stock: 12 },
  {
    sku: 'coffee-03',
    name: 'Ethiopia Yirgacheffe',
    category: 'coffee',
    priceCents: 1_290,
    stock: 30,
  },
  { sku: 'ware-02', name: 'Mug', category: 'ware', priceCents: 900, stock: 3 },
];

function refusal(code: string, message: string) {
  return { error: { code, message } };
}

/** An app that records every request (after body parsing) before `routes` answer it. */
function recordingApp(requests: RecordedRequest[], routes: (app: Express) => void): Express {
  const app = express();
  app.use(express.json());
  app.use((request, _response, next) => {
    requests.push({
      method: request.method,
      url: request.originalUrl,
      headers: request.headers,
      body: request.body as unknown,
    });
    next();
  });
  routes(app);
  return app;
}

async function listen<Extra extends object>(
  requests: RecordedRequest[],
  app: Express,
  extra: Extra,
): Promise<FakeServer & Extra> {
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(extra, {
    endpoint: { address: '127.0.0.1', port },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The catalog: `GET /products?category=&q=` and `GET /products/:sku`. */
export function startCatalog(products: readonly FakeProduct[] = PRODUCTS) {
  const requests: RecordedRequest[] = [];
  const app = recordingApp(requests, (routes) => {
    routes.get('/products', (request, response) => {
      const category = request.query['category'];
      const query = typeof request.query['q'] === 'string' ? request.query['q'].toLowerCase() : '';
      response.json(
        products.filter(
          (product) =>
            (!category || product.category === category) &&
            (!query || product.name.toLowerCase().includes(query)),
        ),
      );
    });
    routes.get('/products/:sku', (request, response) => {
      const product = products.find((candidate) => candidate.sku === request.params.sku);
      if (!product) {
        response
          .status(404)
          .json(refusal('ERR_NO_SUCH_PRODUCT', `no product ${request.params.sku}`));
        return;
      }
      response.json(product);
    });
  });
  return listen(requests, app, {});
}

/** The cart: `GET /carts/:userId`, `PUT` and `DELETE /carts/:userId/items/:sku`, in memory. */
export function startCart() {
  const requests: RecordedRequest[] = [];
  const carts = new Map<string, CartLine[]>();
  // The SKUs this cart refuses with 409, as a full cart would.
  const refusedSkus = new Set<string>();
  const cartOf = (userId: string) => ({ userId, items: carts.get(userId) ?? [] });
  const app = recordingApp(requests, (routes) => {
    routes.get('/carts/:userId', (request, response) => {
      response.json(cartOf(request.params.userId));
    });
    routes.put('/carts/:userId/items/:sku', (request, response) => {
      const { userId, sku } = request.params;
      const qty = (request.body as { qty?: unknown }).qty;
      if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1 || qty > 100) {
        response.status(400).json(refusal('ERR_BAD_REQUEST', 'qty: 1..100'));
        return;
      }
      if (refusedSkus.has(sku)) {
        response.status(409).json(refusal('ERR_CART_FULL', 'a cart holds at most 50 lines'));
        return;
      }
      const items = (carts.get(userId) ?? []).filter((line) => line.sku !== sku);
      items.push({ sku, qty });
      carts.set(
        userId,
        items.sort((a, b) => a.sku.localeCompare(b.sku)),
      );
      response.json(cartOf(userId));
    });
    routes.delete('/carts/:userId/items/:sku', (request, response) => {
      const { userId, sku } = request.params;
      carts.set(
        userId,
        (carts.get(userId) ?? []).filter((line) => line.sku !== sku),
      );
      response.json(cartOf(userId));
    });
  });
  return listen(requests, app, { carts, refusedSkus });
}

interface CheckoutBody {
  userId: string;
  address: Record<string, string>;
  paymentToken: string;
}

/**
 * Checkout: `POST /checkouts` with a required `Idempotency-Key`; claims the user's cart in
 * `carts`, prices it from `products`, and answers 201 with the order, 402 for `tok_decline`
 * (the cart stays as it was) or 409 for an empty cart. The same key again replays the answer.
 */
export function startCheckout(
  carts: Map<string, CartLine[]>,
  products: readonly FakeProduct[] = PRODUCTS,
) {
  const requests: RecordedRequest[] = [];
  const answers = new Map<string, { status: number; body: unknown }>();
  const app = recordingApp(requests, (routes) => {
    routes.post('/checkouts', (request, response) => {
      const key = request.get('idempotency-key');
      if (!key) {
        response.status(400).json(refusal('ERR_IDEMPOTENCY_KEY_REQUIRED', 'send a key'));
        return;
      }
      const body = request.body as CheckoutBody;
      const replay = answers.get(`${body.userId}/${key}`);
      if (replay) {
        response.status(replay.status === 201 ? 200 : replay.status).json(replay.body);
        return;
      }
      const answer = placeOrder(body, key);
      answers.set(`${body.userId}/${key}`, answer);
      response.status(answer.status).json(answer.body);
    });
  });

  const placeOrder = (body: CheckoutBody, key: string) => {
    const lines = carts.get(body.userId) ?? [];
    if (lines.length === 0) {
      return { status: 409, body: refusal('ERR_CART_EMPTY', 'the cart is empty') };
    }
    if (body.paymentToken === 'tok_decline') {
      return {
        status: 402,
        body: refusal(
          'ERR_PAYMENT_DECLINED',
          'the card was declined; the items are back in the cart',
        ),
      };
    }
    carts.set(body.userId, []);
    const items = lines.map((line) => {
      const product = products.find((candidate) => candidate.sku === line.sku)!;
      return {
        sku: line.sku,
        name: product.name,
        qty: line.qty,
        unitPriceCents: product.priceCents,
        lineCents: product.priceCents * line.qty,
      };
    });
    const subtotalCents = items.reduce((sum, item) => sum + item.lineCents, 0);
    const orderId = `ord_${Buffer.from(`${body.userId}:${key}`).toString('hex').slice(0, 16)}`;
    return {
      status: 201,
      body: {
        orderId,
        userId: body.userId,
        status: 'confirmed',
        items,
        subtotalCents,
        shippingCents: 490,
        totalCents: subtotalCents + 490,
        currency: 'EUR',
        chargeId: 'ch_000001',
        trackingNumber: `PN${orderId.slice(4, 14).toUpperCase()}`,
        carrier: 'PostNet',
        days: 2,
      },
    };
  };
  return listen(requests, app, {});
}

/** A service that answers every request with `status` (a broken replica). */
export function startFailing(
  status: number,
  body = '{"error":{"code":"ERR_BROKEN","message":"broken"}}',
) {
  const requests: RecordedRequest[] = [];
  const app = recordingApp(requests, (routes) => {
    routes.use((_request, response) => {
      response.status(status).type('application/json').send(body);
    });
  });
  return listen(requests, app, {});
}

/**
 * A loopback port where nothing listens (a replica that is down). Port 1 (tcpmux) is privileged
 * and unused: a port released by a server of our own could be handed to another test's server
 * while this one still counts on it being dead, and the "dead" upstream would then answer.
 */
export async function deadEndpoint(): Promise<{ address: string; port: number }> {
  const endpoint = { address: '127.0.0.1', port: 1 };
  await new Promise<void>((resolve, reject) => {
    const probe = connect(endpoint.port, endpoint.address);
    probe.once('connect', () => {
      probe.destroy();
      reject(new Error('something listens on 127.0.0.1:1; the dead-upstream tests need it closed'));
    });
    probe.once('error', () => resolve());
  });
  return endpoint;
}
