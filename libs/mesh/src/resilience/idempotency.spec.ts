import { describe, expect, it } from 'vitest';
import { IDEMPOTENT_METHODS, isIdempotent } from './idempotency.js';

describe('isIdempotent', () => {
  it.each(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])(
    'treats %s as idempotent',
    (method) => {
      expect(IDEMPOTENT_METHODS.has(method)).toBe(true);
      expect(isIdempotent(method, {})).toBe(true);
    },
  );

  it.each(['POST', 'PATCH', 'CONNECT'])('treats %s as not idempotent', (method) => {
    expect(isIdempotent(method, {})).toBe(false);
  });

  it('matches the method without regard to case', () => {
    expect(isIdempotent('get', {})).toBe(true);
    expect(isIdempotent('post', {})).toBe(false);
  });

  it('lets an explicit answer win over the method and the headers', () => {
    expect(isIdempotent('POST', {}, true)).toBe(true);
    expect(isIdempotent('GET', {}, false)).toBe(false);
    expect(isIdempotent('POST', { 'idempotency-key': 'k1' }, false)).toBe(false);
  });

  it('treats a request with an Idempotency-Key header, in any case, as idempotent', () => {
    expect(isIdempotent('POST', { 'idempotency-key': 'order-42' })).toBe(true);
    expect(isIdempotent('POST', { 'Idempotency-Key': 'order-42' })).toBe(true);
    expect(isIdempotent('PATCH', { 'IDEMPOTENCY-KEY': ['order-42'] })).toBe(true);
  });

  it('ignores an Idempotency-Key header without a value', () => {
    expect(isIdempotent('POST', { 'idempotency-key': '' })).toBe(false);
    expect(isIdempotent('POST', { 'idempotency-key': '   ' })).toBe(false);
    expect(isIdempotent('POST', { 'idempotency-key': [] })).toBe(false);
    expect(isIdempotent('POST', { 'idempotency-key': [''] })).toBe(false);
    expect(isIdempotent('POST', { 'idempotency-key': undefined })).toBe(false);
  });

  it('ignores other headers that merely look similar', () => {
    expect(isIdempotent('POST', { 'x-idempotency-key': 'k1', 'content-type': 'text/plain' })).toBe(
      false,
    );
  });
});
