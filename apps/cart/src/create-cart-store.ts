import type { Logger } from 'pino';
import type { CartConfig } from './config.js';
import type { CartStore } from './cart-store.js';
import { MemoryCartStore } from './memory-cart-store.js';
import { RedisCartStore } from './redis-cart-store.js';

/** Redis when `REDIS_URL` is set (shared by the replicas), else this replica's memory. */
export function createCartStore(config: Pick<CartConfig, 'redisUrl'>, logger: Logger): CartStore {
  if (config.redisUrl === undefined) {
    logger.info('carts are kept in memory: each replica has its own');
    return new MemoryCartStore();
  }
  logger.info({ redis: redactPassword(config.redisUrl) }, 'carts are kept in Redis');
  return new RedisCartStore({ url: config.redisUrl, logger });
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
