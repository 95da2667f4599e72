import {
  CircuitOpenError,
  DeadlineExceededError,
  NoEndpointsError,
  OverloadedError,
  RetryBudgetExhaustedError,
  UpstreamRequestError,
  UpstreamStatusError,
} from '@trellis/mesh';
import { mapError, meshErrorHandler } from '../src/index.js';
import express, { type Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';

/** An app whose GET /fail rejects with `error`, plus a JSON body route with a 64-byte limit. */
function failingApp(error: unknown, logger = captureLogger()): Express {
  const app = express();
  app.get('/fail', async () => {
    await Promise.resolve();
    throw error;
  });
  app.post('/body', express.json({ limit: 64 }), (req, res) => {
    res.json({ received: req.body as unknown });
  });
  app.get('/late', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    throw new Error('failed after the headers went out');
  });
  app.use(meshErrorHandler({ logger }));
  return app;
}

describe('error handler: mesh errors', () => {
  it.each([
    [2_500, '3'],
    [1_001, '2'],
    [1_000, '1'],
    [1, '1'],
    [0, '1'],
  ])(
    'CircuitOpenError with retryAfterMs %d answers 503 with Retry-After %s',
    async (retryAfterMs, retryAfter) => {
      const response = await request(
        failingApp(new CircuitOpenError('payments', retryAfterMs)),
      ).get('/fail');
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe(retryAfter);
      expect(response.body).toEqual({
        error: { code: 'ERR_CIRCUIT_OPEN', message: expect.stringContaining(`${retryAfter} s`) },
      });
    },
  );

  it.each([
    ['OverloadedError', new OverloadedError('payments', 10), 'ERR_OVERLOADED'],
    ['NoEndpointsError', new NoEndpointsError('payments'), 'ERR_NO_ENDPOINTS'],
    [
      'RetryBudgetExhaustedError',
      new RetryBudgetExhaustedError('payments', new Error('reset')),
      'ERR_RETRY_BUDGET_EXHAUSTED',
    ],
  ])('%s answers 503 with Retry-After 1', async (_name, error, code) => {
    const response = await request(failingApp(error)).get('/fail');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body.error.code).toBe(code);
  });

  it('DeadlineExceededError answers 504', async () => {
    const response = await request(failingApp(new DeadlineExceededError('payments'))).get('/fail');
    expect(response.status).toBe(504);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body.error.code).toBe('ERR_DEADLINE_EXCEEDED');
  });

  it('UpstreamStatusError answers 502 without the upstream body', async () => {
    const error = new UpstreamStatusError('payments', 500, '10.0.0.7:8080', 'db password rejected');
    const response = await request(failingApp(error)).get('/fail');
    expect(response.status).toBe(502);
    expect(response.body.error).toEqual({
      code: 'ERR_UPSTREAM_STATUS',
      message: 'A service this request depends on answered 500',
    });
    expect(response.text).not.toContain('password');
    expect(response.text).not.toContain('10.0.0.7');
  });

  it('UpstreamRequestError answers 502', async () => {
    const error = new UpstreamRequestError(
      'payments',
      '10.0.0.7:8080',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    const response = await request(failingApp(error)).get('/fail');
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe('ERR_UPSTREAM_REQUEST');
    expect(response.text).not.toContain('ECONNREFUSED');
  });

  it('recognises mesh errors from a second copy of the SDK by name and code', () => {
    const foreign = Object.assign(new Error('open'), {
      name: 'CircuitOpenError',
      code: 'ERR_CIRCUIT_OPEN',
      retryAfterMs: 4_200,
    });
    expect(mapError(foreign)).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
  });

  it('logs mesh errors as warnings without a stack', async () => {
    const logger = captureLogger();
    await request(failingApp(new NoEndpointsError('payments'), logger)).get('/fail');
    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ status: 503, code: 'ERR_NO_ENDPOINTS', path: '/fail' }),
      }),
    ]);
  });
});

describe('error handler: everything else', () => {
  it('answers 500 with a generic message and logs the error with its stack', async () => {
    const logger = captureLogger();
    const error = new Error('connection string postgres://admin:hunter2@db');
    const response = await request(failingApp(error, logger)).get('/fail');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'Internal server error' },
    });
    expect(response.text).not.toContain('hunter2');
    expect(response.text).not.toContain('at ');
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'error', fields: expect.objectContaining({ err: error }) }),
    ]);
  });

  it('answers 500 for a thrown non-error', async () => {
    const response = await request(failingApp('just a string')).get('/fail');
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('ERR_INTERNAL');
  });

  it('keeps body-parser status: malformed JSON is 400 and says so', async () => {
    const response = await request(failingApp(undefined))
      .post('/body')
      .set('content-type', 'application/json')
      .send('{"sku": tea}');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('ERR_MALFORMED_BODY');
    expect(response.body.error.message).toMatch(/^The request body could not be parsed: .*JSON/);
  });

  it('keeps body-parser status: a body over the limit is 413 and names the limit', async () => {
    const response = await request(failingApp(undefined))
      .post('/body')
      .send({ text: 'x'.repeat(200) });
    expect(response.status).toBe(413);
    expect(response.body.error).toEqual({
      code: 'ERR_BODY_TOO_LARGE',
      message: 'The request body is larger than the limit of 64 bytes',
    });
  });

  it('keeps body-parser status for an unsupported charset (415)', async () => {
    const response = await request(failingApp(undefined))
      .post('/body')
      .set('content-type', 'application/json; charset=klingon')
      .send('{}');
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('ERR_CHARSET_UNSUPPORTED');
  });

  it('a well-formed body still works', async () => {
    const response = await request(failingApp(undefined)).post('/body').send({ sku: 'tea' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: { sku: 'tea' } });
  });

  it('cuts the connection when the error comes after the response started', async () => {
    const logger = captureLogger();
    await expect(request(failingApp(undefined, logger)).get('/late')).rejects.toThrow();
    expect(logger.entries[0]?.level).toBe('error');
  });
});
