import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface SharedRedisOptions {
  url: string;
  logger: Logger;
  /** How long one command may take before it fails (and the caller answers 503). Default 2000. */
  commandTimeoutMs?: number;
}

/**
 * A Redis client for state the replicas share: it fails fast while disconnected (callers answer
 * 503, which may be retried), never resends a command it lost, keeps reconnecting, and logs an
 * outage once rather than every reconnection attempt.
 */
export function connectSharedRedis(options: SharedRedisOptions): Redis {
  const { logger } = options;
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command cut off by a lost connection was answered 503; sending it again later would
    // apply a write the caller was told failed.
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  let unreachable = false;
  redis.on('ready', () => {
    logger.info(unreachable ? 'Redis is back' : 'connected to Redis');
    unreachable = false;
  });
  redis.on('error', (error: Error) => {
    if (unreachable) return;
    unreachable = true;
    logger.warn({ err: error }, 'Redis is unreachable; answering 503 until it is back');
  });
  return redis;
}

/** Lets the replies already on their way arrive (QUIT), then drops the connection. */
export async function closeSharedRedis(redis: Redis, logger: Logger): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => undefined);
  redis.disconnect();
  logger.info('closed the Redis connection');
}
