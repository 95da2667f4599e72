import { Router, type RequestHandler } from 'express';
import { z } from 'zod';

export interface KnobSettings {
  /** Added to every request, in ms. */
  latencyMs: number;
  /** Share of requests answered 503 (an unavailable replica, which callers may retry), from 0 to 1. */
  errorRate: number;
  /** Accept requests and never answer them. */
  hang: boolean;
}

const knobsBody = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000),
    errorRate: z.number().min(0).max(1),
    hang: z.boolean(),
  })
  .partial()
  .strict();

/** Latency, errors and hangs on demand, so the mesh's behaviour can be shown on one replica. */
export class Knobs {
  constructor(
    private settings: KnobSettings,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): KnobSettings {
    return { ...this.settings };
  }

  /** Applies the knobs to every business route; admin and health routes are mounted before it. */
  middleware(): RequestHandler {
    return (_request, response, next) => {
      const { latencyMs, errorRate, hang } = this.settings;
      if (hang) return;
      const answer = (): void => {
        if (errorRate > 0 && this.random() < errorRate) {
          response.status(503).json({
            error: { code: 'ERR_INJECTED', message: 'failure injected by the errorRate knob' },
          });
          return;
        }
        next();
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    };
  }

  /** `GET/POST /admin/knobs`, answered only to callers on this machine. */
  adminRoutes(): Router {
    const router = Router();
    router.use('/admin', (request, response, next) => {
      const from = request.socket.remoteAddress ?? '';
      if (from === '127.0.0.1' || from === '::1' || from === '::ffff:127.0.0.1') return next();
      response.status(403).json({
        error: {
          code: 'ERR_ADMIN_LOOPBACK_ONLY',
          message: 'the admin endpoint answers only on loopback',
        },
      });
    });
    router.get('/admin/knobs', (_request, response) => {
      response.json(this.current);
    });
    router.post('/admin/knobs', (request, response) => {
      const parsed = knobsBody.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        response.status(400).json({
          error: {
            code: 'ERR_INVALID_KNOBS',
            message: `${issue.path.join('.') || 'body'}: ${issue.message}`,
          },
        });
        return;
      }
      this.settings = { ...this.settings, ...parsed.data };
      response.json(this.current);
    });
    return router;
  }
}
