import { randomUUID } from 'node:crypto';
import { MeshError, type HttpMethod, type ServiceClient } from '@trellis/mesh';
import type { JourneyKind } from './load-mix.js';

/** One step of a journey got a non-2xx answer or no answer at all. */
export class JourneyFailure extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'JourneyFailure';
  }
}

/** The demo address every load checkout ships to. */
export const LOAD_ADDRESS = {
  name: 'Load Tester',
  line1: '1 Test Street',
  city: 'Berlin',
  postcode: '10115',
  country: 'DE',
} as const;

/** The test card the payments service always captures. */
export const LOAD_PAYMENT_TOKEN = 'tok_visa';

export interface JourneyContext {
  storefront: ServiceClient;
  /** `load-<n>`, sent as `x-user-id`. */
  userId: string;
  /** SKUs seen in the last product list, shared by the journeys so not every one lists first. */
  knownSkus: string[];
  random: () => number;
  signal: AbortSignal;
  timeoutMs: number;
}

interface Step {
  method: HttpMethod;
  path: string;
  json?: unknown;
  headers?: Record<string, string>;
}

/** Sends one request through the storefront's BFF; a non-2xx answer or an error throws JourneyFailure. */
async function call(context: JourneyContext, step: Step): Promise<unknown> {
  let statusCode: number;
  let text: string;
  try {
    const response = await context.storefront.request({
      method: step.method,
      path: step.path,
      headers: { 'x-user-id': context.userId, ...step.headers },
      ...(step.json !== undefined && { json: step.json }),
      signal: context.signal,
      timeoutMs: context.timeoutMs,
    });
    statusCode = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    const code = error instanceof MeshError ? `${error.code}: ` : '';
    throw new JourneyFailure(
      null,
      `${step.method} ${step.path}: ${code}${(error as Error).message}`,
    );
  }
  if (statusCode < 200 || statusCode > 299) {
    throw new JourneyFailure(statusCode, `${step.method} ${step.path}: ${describeAnswer(text)}`);
  }
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JourneyFailure(statusCode, `${step.method} ${step.path}: the answer is not JSON`);
  }
}

/** The message of a shop error body, or the start of whatever else came back. */
function describeAnswer(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') {
      return typeof body.error.code === 'string'
        ? `${body.error.code}: ${body.error.message}`
        : body.error.message;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 200) || 'empty answer';
}

function skusOf(list: unknown): string[] {
  const products = Array.isArray(list) ? list : undefined;
  if (!products) throw new JourneyFailure(200, 'GET /api/products: the answer is not a list');
  return products
    .map((product) => (product as { sku?: unknown }).sku)
    .filter((sku): sku is string => typeof sku === 'string');
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Lists the products (as a user's first page would) and remembers their SKUs. */
async function listProducts(context: JourneyContext): Promise<string[]> {
  const skus = skusOf(await call(context, { method: 'GET', path: '/api/products' }));
  if (skus.length === 0) throw new JourneyFailure(200, 'GET /api/products: the catalog is empty');
  context.knownSkus.splice(0, context.knownSkus.length, ...skus);
  return skus;
}

async function someSku(context: JourneyContext): Promise<string> {
  const skus = context.knownSkus.length > 0 ? context.knownSkus : await listProducts(context);
  return pick(skus, context.random);
}

async function addToCart(context: JourneyContext): Promise<void> {
  const sku = await someSku(context);
  const qty = 1 + Math.floor(context.random() * 3);
  await call(context, {
    method: 'PUT',
    path: `/api/cart/items/${encodeURIComponent(sku)}`,
    json: { qty },
  });
}

/** List the products, then open one. */
async function browse(context: JourneyContext): Promise<void> {
  const sku = pick(await listProducts(context), context.random);
  await call(context, { method: 'GET', path: `/api/products/${encodeURIComponent(sku)}` });
}

/** Put an item in the cart, then check out with the demo address and card, under a fresh key. */
async function checkout(context: JourneyContext): Promise<void> {
  await addToCart(context);
  await call(context, {
    method: 'POST',
    path: '/api/checkout',
    headers: { 'idempotency-key': `load-${randomUUID()}` },
    json: { address: LOAD_ADDRESS, paymentToken: LOAD_PAYMENT_TOKEN },
  });
}

export const JOURNEYS: Readonly<Record<JourneyKind, (context: JourneyContext) => Promise<void>>> = {
  browse,
  cart: addToCart,
  checkout,
};
