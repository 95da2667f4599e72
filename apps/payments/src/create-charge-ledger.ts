import type { Logger } from 'pino';
import type { ChargeLedger } from './charge-ledger.js';
import type { PaymentsConfig } from './config.js';
import { MemoryChargeLedger } from './memory-charge-ledger.js';
import { RedisChargeLedger } from './redis-charge-ledger.js';

/** Redis when `REDIS_URL` is set (shared by the replicas), else this replica's memory. */
export function createChargeLedger(
  config: Pick<PaymentsConfig, 'redisUrl'>,
  logger: Logger,
): ChargeLedger {
  if (config.redisUrl === undefined) {
    logger.info('charges are kept in memory: each replica has its own ledger');
    return new MemoryChargeLedger();
  }
  logger.info({ redis: redactPassword(config.redisUrl) }, 'charges are kept in Redis');
  return new RedisChargeLedger({ url: config.redisUrl, logger });
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
