import { createHmac } from 'node:crypto';

/**
 * `TRK` and ten upper-case hex digits of HMAC-SHA256(secret, order id): every replica with the
 * same secret gives an order the same tracking number, without asking another replica.
 */
export function trackingNumberFor(orderId: string, secret: string): string {
  const digest = createHmac('sha256', secret).update(`tracking:${orderId}`).digest('hex');
  return `TRK${digest.slice(0, 10).toUpperCase()}`;
}
