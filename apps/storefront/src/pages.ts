import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';

/** The shop's web pages and assets; `..` from `src` (tests) and from `dist` (the build) alike. */
export const PUBLIC_DIR = join(__dirname, '..', 'public');

/** Paths answered with the page shell; the script in it renders the page for the path. */
export const PAGE_PATHS = ['/', '/products/:sku', '/cart', '/checkout', '/orders/:orderId'];

const SHELL = 'shop.html';

/**
 * The pages: one HTML shell for every page path (vanilla JS renders the view, so nothing needs
 * building), the assets under `/assets`, and the shell with 404 for an unknown page.
 */
export function pageRoutes(): Router {
  const router = Router();
  const sendShell = (response: Response, status: number): void => {
    // The shell is tiny and changes with each release: always revalidate it.
    response.status(status).set('cache-control', 'no-cache').sendFile(SHELL, { root: PUBLIC_DIR });
  };

  router.use(
    '/assets',
    express.static(join(PUBLIC_DIR, 'assets'), { index: false }),
    (request: Request, response: Response) => {
      response.status(404).json({
        error: { code: 'ERR_NOT_FOUND', message: `no asset ${request.originalUrl}` },
      });
    },
  );
  router.get(PAGE_PATHS, (_request, response) => sendShell(response, 200));
  router.use((request, response) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.accepts('html')) {
      return sendShell(response, 404);
    }
    response.status(404).json({
      error: { code: 'ERR_NOT_FOUND', message: `no route ${request.method} ${request.path}` },
    });
  });
  return router;
}
