import type { RequestHandler, Response } from 'express';
import { requireState } from './server-state.js';
import type { ServerState } from './server-state.js';

/**
 * Counts requests being handled (for load shedding, the admin view and drain logs) and, once the
 * server drains, marks every response not yet started `connection: close`, so kept-alive clients
 * reconnect elsewhere instead of reusing a socket that is about to go.
 */
export function inFlightMiddleware(state: ServerState): RequestHandler {
  requireState(state);
  const open = new Set<Response>();
  state.onDraining(() => {
    for (const res of open) askToClose(res);
  });
  return (_req, res, next) => {
    state.requestStarted();
    open.add(res);
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      open.delete(res);
      state.requestFinished();
    };
    // `close` follows `finish`, and also comes alone when the client goes away first.
    res.once('finish', done);
    res.once('close', done);
    if (state.draining) askToClose(res);
    next();
  };
}

function askToClose(res: Response): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}
