import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlError } from './control-error.js';

/** What the control API drives: the running platform. */
export interface ControlTarget {
  status(): Promise<unknown>;
  scaleFromBody(body: unknown): Promise<unknown>;
  chaosFromBody(body: unknown): Promise<unknown>;
  loadFromBody(body: unknown): Promise<unknown>;
}

const BODY_LIMIT_BYTES = 16 * 1024;

type Route = {
  method: 'GET' | 'POST';
  run: (target: ControlTarget, body: unknown) => Promise<unknown>;
};

const ROUTES: Readonly<Record<string, Route>> = {
  '/status': { method: 'GET', run: (target) => target.status() },
  '/scale': { method: 'POST', run: (target, body) => target.scaleFromBody(body) },
  '/chaos': { method: 'POST', run: (target, body) => target.chaosFromBody(body) },
  '/load': { method: 'POST', run: (target, body) => target.loadFromBody(body) },
};

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) {
      throw new ControlError(
        413,
        'ERR_BODY_TOO_LARGE',
        `body: larger than ${BODY_LIMIT_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ControlError(
      400,
      'ERR_MALFORMED_BODY',
      `body: not valid JSON (${(error as Error).message})`,
    );
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function handle(target: ControlTarget, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? '/', 'http://launcher').pathname;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  try {
    if (!route) {
      throw new ControlError(
        404,
        'ERR_NO_SUCH_ROUTE',
        `no route ${path}; the control API has GET /status, POST /scale, POST /chaos, POST /load`,
      );
    }
    if (request.method !== route.method) {
      response.setHeader('allow', route.method);
      throw new ControlError(
        405,
        'ERR_METHOD_NOT_ALLOWED',
        `${path} takes ${route.method}, not ${request.method}`,
      );
    }
    const body = route.method === 'POST' ? await readJsonBody(request) : undefined;
    send(response, 200, await route.run(target, body));
  } catch (error) {
    if (error instanceof ControlError) {
      send(response, error.status, { error: { code: error.code, message: error.message } });
    } else {
      send(response, 500, { error: { code: 'ERR_INTERNAL', message: (error as Error).message } });
    }
  }
}

/** The launcher's JSON control API on 127.0.0.1 (any free port). */
export async function startControlServer(
  target: ControlTarget,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(
    (request, response) => void handle(target, request, response),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
