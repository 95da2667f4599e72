import { createMesh, type Mesh } from '@trellis/mesh';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DECLINED_TOKEN, type ChargeLedger } from '../src/charge-ledger.js';
import { memoryKind, redisKind } from './support/ledger-kinds.js';
import { paymentsApp } from './support/payments-replica.js';

const order = { amountCents: 4_250, currency: 'EUR', token: 'tok_visa', orderId: 'order-1' };

describe.each([memoryKind, redisKind()])('the payments API on the $name ledger', (kind) => {
  let mesh: Mesh;
  let ledger: ChargeLedger;
  let app: ReturnType<typeof paymentsApp>;

  // Without redis-server the Redis kind's tests are skipped, and so is setting it up.
  beforeAll(async () => {
    if (kind.available) await kind.setUp();
  });
  afterAll(() => kind.tearDown());

  beforeEach(async () => {
    if (!kind.available) return;
    mesh = createMesh({ discovery: [] });
    // A little processing time, so concurrent requests with one key really overlap.
    ledger = await kind.open(30);
    app = paymentsApp(ledger, mesh);
  });

  afterEach(async () => {
    if (!kind.available) return;
    await mesh.close();
    await ledger.close();
  });

  const charge = (key: string | undefined, body: object = order) => {
    const call = request(app).post('/charges');
    return key === undefined ? call.send(body) : call.set('Idempotency-Key', key).send(body);
  };

  describe.skipIf(!kind.available)('charges', () => {
    it('captures a charge and replays the same answer for the same key without charging again', async () => {
      const first = await charge('key-1').expect(201);
      expect(first.body).toMatchObject({ ...order, status: 'captured' });
      expect(first.body.chargeId).toMatch(/^ch_\d{6}$/);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await charge('key-1').expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await ledger.list()).toHaveLength(1);
    });

    it('charges once when the same key arrives ten times at once', async () => {
      const answers = await Promise.all(Array.from({ length: 10 }, () => charge('key-burst')));
      expect(new Set(answers.map((answer) => answer.body.chargeId)).size).toBe(1);
      expect(answers.every((answer) => answer.status === 201)).toBe(true);
      expect(await ledger.list('order-1')).toHaveLength(1);
    });

    it('answers 409 when a key is reused for a different charge, and charges nothing more', async () => {
      await charge('key-2').expect(201);
      const reused = await charge('key-2', { ...order, amountCents: 1 }).expect(409);
      expect(reused.body.error.code).toBe('ERR_IDEMPOTENCY_KEY_REUSED');
      expect(await ledger.list()).toHaveLength(1);
    });

    it('declines the declining token with 402, and replays the decline for its key', async () => {
      const declined = await charge('key-3', { ...order, token: DECLINED_TOKEN }).expect(402);
      expect(declined.body.error.code).toBe('ERR_CARD_DECLINED');
      await charge('key-3', { ...order, token: DECLINED_TOKEN }).expect(402);
      expect(await ledger.list()).toHaveLength(0);
    });

    it('reads charges back by id and by order', async () => {
      const created = (await charge('key-4').expect(201)).body;
      await charge('key-5', { ...order, orderId: 'order-2' }).expect(201);
      expect((await request(app).get(`/charges/${created.chargeId}`).expect(200)).body).toEqual(
        created,
      );
      expect((await request(app).get('/charges?orderId=order-2').expect(200)).body).toHaveLength(1);
      expect((await request(app).get('/charges').expect(200)).body).toHaveLength(2);
      const missing = await request(app).get('/charges/ch_999999').expect(404);
      expect(missing.body.error.code).toBe('ERR_NO_SUCH_CHARGE');
    });
  });

  describe.skipIf(!kind.available)('bad input', () => {
    it.each([
      ['no Idempotency-Key', undefined],
      ['an empty Idempotency-Key', ''],
      ['an Idempotency-Key with spaces', 'my key'],
      ['an Idempotency-Key over 200 characters', 'k'.repeat(201)],
    ])('refuses a charge with %s, naming the header', async (_label, key) => {
      const response = await charge(key).expect(400);
      expect(response.body.error.code).toBe('ERR_IDEMPOTENCY_KEY_REQUIRED');
      expect(response.body.error.message).toMatch(/Idempotency-Key header/);
    });

    it.each([
      ['a zero amount', { ...order, amountCents: 0 }, /amountCents/],
      ['a fractional amount', { ...order, amountCents: 10.5 }, /amountCents/],
      ['an unknown currency', { ...order, currency: 'XYZ' }, /currency/],
      ['no token', { ...order, token: undefined }, /token/],
      ['no order id', { ...order, orderId: '' }, /orderId/],
      ['an extra field', { ...order, discount: 100 }, /unrecognized key/i],
    ])('answers 400 naming the field for %s', async (_label, body, message) => {
      const response = await charge('key-bad', body).expect(400);
      expect(response.body.error.code).toBe('ERR_BAD_REQUEST');
      expect(response.body.error.message).toMatch(message);
      expect(await ledger.list()).toHaveLength(0);
    });

    it('answers 400 for malformed JSON and for an unknown list filter', async () => {
      await request(app)
        .post('/charges')
        .set('Idempotency-Key', 'k')
        .set('content-type', 'application/json')
        .send('{"amountCents":')
        .expect(400);
      const filter = await request(app).get('/charges?customer=me').expect(400);
      expect(filter.body.error.message).toMatch(/unrecognized key/i);
    });
  });
});
