import { join } from 'node:path';
import type { Discovery } from '@trellis/mesh';
import { sendBadRequest } from '@trellis/shop-kit';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { parseChaosRequest } from './chaos-request.js';
import { DashboardFeed } from './dashboard-feed.js';
import { EventStream } from './event-stream.js';
import { HttpJsonError } from './http-json.js';
import { LauncherClient } from './launcher-client.js';
import { MeshCollector } from './mesh-collector.js';

export type { DashboardView } from './dashboard-view.js';
export { MeshCollector } from './mesh-collector.js';

export interface DashboardOptions {
  /** Where the watched services' instances are found; the dashboard asks it for its own resolvers. */
  discovery: Discovery;
  /** The services whose instances are read, e.g. every service of the shop. */
  services: readonly string[];
  logger: Logger;
  /** The local launcher's control API; without it chaos answers 501. */
  launcherUrl?: string;
  /** How often the view is rebuilt and streamed. Default 1000 ms. */
  intervalMs?: number;
  /** The sliding window of rates and quantiles. Default 5000 ms. */
  windowMs?: number;
  /** Event streams served at once; more get 503. Default 50. */
  maxClients?: number;
}

/** The page and its scripts, next to `src` and `dist` alike: `<app>/public/dashboard`. */
const PUBLIC_DIR = join(__dirname, '..', '..', 'public', 'dashboard');

/** Only this page's own files: no inline code, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

const jsonBody = express.json({ limit: '4kb' });

/**
 * The live mesh dashboard: `GET /dashboard` (the page), `/dashboard/assets/*`, `/dashboard/state`
 * (the view as JSON), `/dashboard/events` (the view as server-sent events) and
 * `POST /dashboard/chaos` (sent on to the launcher). Call `close()` on shutdown: it ends the
 * streams, which would otherwise hold the server's drain open.
 */
export function dashboardRoutes(options: DashboardOptions): express.Router & { close(): void } {
  const { logger } = options;
  const launcher = options.launcherUrl ? new LauncherClient(options.launcherUrl) : undefined;
  const collector = new MeshCollector({
    discovery: options.discovery,
    services: options.services,
    logger,
    ...(launcher && { launcher }),
    ...(options.windowMs !== undefined && { windowMs: options.windowMs }),
  });
  const stream = new EventStream({
    ...(options.maxClients !== undefined && { maxClients: options.maxClients }),
  });
  const feed = new DashboardFeed({
    collector,
    stream,
    logger,
    ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
  });

  const router = express.Router();

  router.get('/dashboard', (_request, response) => {
    response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    response.setHeader('cache-control', 'no-cache');
    response.sendFile(join(PUBLIC_DIR, 'index.html'));
  });

  router.use(
    '/dashboard/assets',
    express.static(PUBLIC_DIR, { index: false, fallthrough: true, cacheControl: false }),
    (_request: Request, response: Response) => {
      response
        .status(404)
        .json({ error: { code: 'ERR_NO_SUCH_ASSET', message: 'the dashboard has no such file' } });
    },
  );

  router.get('/dashboard/state', async (_request, response) => {
    const view = await feed.current();
    response.setHeader('cache-control', 'no-store');
    response.json(view);
  });

  router.get('/dashboard/events', (request, response) => {
    if (!stream.accept(request, response)) return;
    feed.demand();
    // A new page gets the current picture at once instead of after the next tick.
    const latest = feed.fresh();
    if (latest) stream.sendTo(response, 'snapshot', latest);
  });

  router.post('/dashboard/chaos', readJsonBody, async (request, response) => {
    if (!launcher) {
      response.status(501).json({
        error: {
          code: 'ERR_NO_LAUNCHER',
          message:
            'chaos needs the local launcher: run the shop with `npm start`, which starts every replica and lets the dashboard kill, slow and heal them',
        },
      });
      return;
    }
    const parsed = parseChaosRequest(request.body);
    if (!parsed.ok) return sendBadRequest(response, parsed.error, 'body');
    try {
      const answer = await launcher.chaos(parsed.request);
      logger.info({ chaos: parsed.request, status: answer.status }, 'Chaos sent to the launcher');
      feed.refresh();
      response.status(answer.status).json(answer.body);
    } catch (error) {
      if (!(error instanceof HttpJsonError)) throw error;
      logger.warn(
        { launcher: launcher.url, problem: error.message },
        'The launcher did not answer',
      );
      response.status(502).json({
        error: {
          code: 'ERR_LAUNCHER_UNREACHABLE',
          message: `the launcher at ${launcher.url} did not answer properly: ${error.message}`,
        },
      });
    }
  });

  return Object.assign(router, {
    close(): void {
      feed.close();
      stream.close();
      collector.close().catch(() => undefined);
    },
  });
}

/** JSON only (a cross-site form cannot send it without the browser asking first), 4 kB at most. */
function readJsonBody(request: Request, response: Response, next: NextFunction): void {
  if (!request.is('application/json')) {
    response.status(415).json({
      error: {
        code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
        message: 'body: send JSON with content-type application/json',
      },
    });
    return;
  }
  // A body the app parsed already is left as it is.
  jsonBody(request, response, (error?: unknown) => {
    if (!error) return next();
    const tooLarge = (error as { type?: string }).type === 'entity.too.large';
    response.status(tooLarge ? 413 : 400).json({
      error: {
        code: tooLarge ? 'ERR_BODY_TOO_LARGE' : 'ERR_BAD_REQUEST',
        message: tooLarge ? 'body: larger than 4 kB' : 'body: not valid JSON',
      },
    });
  });
}
