import { createMesh, type Mesh } from '@trellis/mesh';
import { ServerState } from '@trellis/mesh-express';
import { Knobs } from '@trellis/shop-kit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { LoadGenerator } from '../src/load-generator.js';
import { parseMix } from '../src/load-mix.js';

let mesh: Mesh;
let generator: LoadGenerator;
let app: ReturnType<typeof buildApp>;

beforeEach(() => {
  mesh = createMesh({ discovery: [], upstreams: { storefront: { endpoints: [] } } });
  // Paused, so these tests read and change the settings without sending anything.
  generator = new LoadGenerator({
    storefront: mesh.client('storefront'),
    rps: 0,
    mix: parseMix('browse=70,cart=20,checkout=10'),
    maxInFlight: 10,
    users: 5,
  });
  generator.start();
  const state = new ServerState({ service: 'loadgen' });
  state.markRegistered('loadgen-test');
  app = buildApp({
    generator,
    knobs: new Knobs({ latencyMs: 0, errorRate: 0, hang: false }),
    state,
    mesh,
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  generator.stop();
  await mesh.close();
});

describe('GET /admin/load', () => {
  it('reports the rate, the mix and the counts, overall and per journey', async () => {
    const answer = await request(app).get('/admin/load').expect(200);
    expect(answer.body).toEqual({
      rps: 0,
      mix: 'browse=70,cart=20,checkout=10',
      sent: 0,
      ok: 0,
      failed: 0,
      skipped: 0,
      inFlight: 0,
      maxInFlight: 10,
      byKind: {
        browse: { sent: 0, ok: 0, failed: 0 },
        cart: { sent: 0, ok: 0, failed: 0 },
        checkout: { sent: 0, ok: 0, failed: 0 },
      },
      recentFailures: [],
    });
  });
});

describe('POST /admin/load', () => {
  it('changes the rate, the mix, or both, and answers the new report', async () => {
    const rate = await request(app).post('/admin/load').send({ rps: 12.5 }).expect(200);
    expect(rate.body).toMatchObject({ rps: 12.5, mix: 'browse=70,cart=20,checkout=10' });
    const mix = await request(app).post('/admin/load').send({ mix: 'checkout=1' }).expect(200);
    expect(mix.body).toMatchObject({ rps: 12.5, mix: 'browse=0,cart=0,checkout=1' });
    const both = await request(app)
      .post('/admin/load')
      .send({ rps: 0, mix: 'browse=1,cart=1' })
      .expect(200);
    expect(both.body).toMatchObject({ rps: 0, mix: 'browse=1,cart=1,checkout=0' });
    expect((await request(app).get('/admin/load').expect(200)).body).toMatchObject({
      rps: 0,
      mix: 'browse=1,cart=1,checkout=0',
    });
  });

  it.each([
    ['a negative rate', { rps: -1 }, /^rps: use 0 \(paused\) to 1000/],
    ['a rate over 1000', { rps: 1001 }, /^rps: use 0 \(paused\) to 1000/],
    ['a rate as text', { rps: '200rps' }, /^rps: .*expected number/],
    ['an unknown journey', { mix: 'browse=1,search=1' }, /^mix: "search" is not a journey/],
    ['a mix of zeros', { mix: 'browse=0' }, /^mix: every weight is 0/],
    ['a mix that is not text', { mix: { browse: 1 } }, /^mix: .*expected string/],
    ['an unknown field', { rps: 1, burst: 5 }, /burst/],
    ['neither field', {}, /^body: give rps, mix or both/],
  ])('answers 400 naming the field for %s', async (_case, body, message) => {
    const answer = await request(app).post('/admin/load').send(body).expect(400);
    expect(answer.body.error.code).toBe('ERR_BAD_REQUEST');
    expect(answer.body.error.message).toMatch(message);
    expect((await request(app).get('/admin/load')).body.rps).toBe(0);
  });

  it('answers 400 to a body that is not an object', async () => {
    const answer = await request(app).post('/admin/load').send([1, 2]).expect(400);
    expect(answer.body.error.message).toMatch(/expected object/);
  });

  it('answers 400 to malformed JSON', async () => {
    const answer = await request(app)
      .post('/admin/load')
      .set('content-type', 'application/json')
      .send('{"rps":')
      .expect(400);
    expect(answer.body.error.code).toBe('ERR_MALFORMED_BODY');
  });
});

describe('the service routes', () => {
  it('answers health and readiness like every shop service', async () => {
    await request(app).get('/healthz').expect(200);
    await request(app).get('/readyz').expect(200);
  });
});
