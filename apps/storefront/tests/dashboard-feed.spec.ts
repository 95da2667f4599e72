import { get } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalRegistry } from '@trellis/mesh';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DashboardFeed } from '../src/dashboard/dashboard-feed.js';
import { EventStream } from '../src/dashboard/event-stream.js';
import { MeshCollector } from '../src/dashboard/mesh-collector.js';
import {
  Backend,
  closeServer,
  listen,
  portOf,
  TestRegistry,
  waitFor,
} from './dashboard-fixtures.js';

const IDLE_MS = 300;

let registry: TestRegistry;
let discovery: LocalRegistry;
let backend: Backend;
let collector: MeshCollector;
let stream: EventStream;
let feed: DashboardFeed;

beforeEach(async () => {
  registry = await TestRegistry.create();
  discovery = registry.open();
  backend = await Backend.start(registry, 'catalog', 'catalog-1');
  const logger = pino({ level: 'silent' });
  collector = new MeshCollector({ discovery, services: ['catalog'], logger });
  stream = new EventStream({ onClientsChanged: (clients) => clients > 0 && feed.demand() });
  feed = new DashboardFeed({ collector, stream, logger, intervalMs: 50, idleMs: IDLE_MS });
});

afterEach(async () => {
  feed.close();
  stream.close();
  await collector.close();
  await backend.stop();
  await discovery.close();
  await registry.remove();
});

describe('DashboardFeed', () => {
  it('polls only while someone looks, and answers a fresh view after a pause', async () => {
    expect(feed.running).toBe(false);
    const first = await feed.current();
    expect(feed.running).toBe(true);
    expect(first.instances.map((instance) => instance.replica)).toEqual(['catalog-1']);

    await waitFor('polling to stop', async () => (feed.running ? undefined : true), 5_000);
    const pausedAt = Date.now();
    await delay(150);
    expect(feed.fresh()).toBeUndefined();
    const after = await feed.current();
    expect(Date.parse(after.generatedAt)).toBeGreaterThanOrEqual(pausedAt);
    expect(feed.running).toBe(true);
  });

  it('keeps polling while a stream is open, and stops once it closes', async () => {
    const app = express();
    app.get('/events', (request, response) => {
      stream.accept(request, response);
    });
    const server = await listen(app);
    try {
      const opened = await new Promise<ReturnType<typeof get>>((resolve) => {
        const outgoing = get(`http://127.0.0.1:${portOf(server)}/events`, () => resolve(outgoing));
      });
      await waitFor('the stream to count', async () => (stream.clients === 1 ? true : undefined));
      expect(feed.running).toBe(true);
      await delay(IDLE_MS * 3);
      expect(feed.running).toBe(true);
      opened.destroy();
      await waitFor('polling to stop', async () => (feed.running ? undefined : true), 5_000);
      expect(stream.clients).toBe(0);
    } finally {
      await closeServer(server);
    }
  });
});
