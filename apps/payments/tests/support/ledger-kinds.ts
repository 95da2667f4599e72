import { findRedisServer, RedisServer } from '@trellis/shop-kit/testing';
import { pino } from 'pino';
import type { ChargeLedger } from '../../src/charge-ledger.js';
import { MemoryChargeLedger } from '../../src/memory-charge-ledger.js';
import { RedisChargeLedger } from '../../src/redis-charge-ledger.js';

/** One ChargeLedger implementation, set up so the same tests run against each. */
export interface LedgerKind {
  name: string;
  /** False when this machine cannot run it (no redis-server); its tests are skipped. */
  available: boolean;
  setUp(): Promise<void>;
  /** An empty ledger whose fake processor takes `processingMs` per charge. */
  open(processingMs: number): Promise<ChargeLedger>;
  tearDown(): Promise<void>;
}

export const memoryKind: LedgerKind = {
  name: 'memory',
  available: true,
  setUp: async () => undefined,
  open: async (processingMs) => new MemoryChargeLedger(processingMs),
  tearDown: async () => undefined,
};

export function redisKind(): LedgerKind {
  const binary = findRedisServer();
  let server: RedisServer | undefined;
  return {
    name: 'redis',
    available: binary !== undefined,
    setUp: async () => {
      server = await RedisServer.start(binary!);
    },
    open: async (processingMs) => {
      await server!.flush();
      return openRedisLedger(server!.url, processingMs);
    },
    tearDown: async () => {
      await server?.stop();
    },
  };
}

/** A Redis ledger that already answers (the client connects in the background). */
export async function openRedisLedger(url: string, processingMs = 0): Promise<RedisChargeLedger> {
  const ledger = new RedisChargeLedger({ url, processingMs, logger: pino({ level: 'silent' }) });
  await untilServing(ledger);
  return ledger;
}

export async function untilServing(ledger: ChargeLedger, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ledger.get('ch_probe');
      return;
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
