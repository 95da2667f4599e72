import { describe, expect, it } from 'vitest';
import { parseCookies } from '../src/cookies.js';

describe('parseCookies', () => {
  it('reads every pair of a Cookie header', () => {
    expect(parseCookies('trellis_user=u_0123456789ab; theme=dark;lang=en')).toEqual({
      trellis_user: 'u_0123456789ab',
      theme: 'dark',
      lang: 'en',
    });
  });

  it('answers nothing for no header or an empty one', () => {
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies('')).toEqual({});
  });

  it('keeps the first of a repeated name (the most specific path comes first)', () => {
    expect(parseCookies('a=first; a=second')).toEqual({ a: 'first' });
  });

  it('decodes URI-encoded values, unquotes quoted ones and keeps undecodable ones as they are', () => {
    expect(parseCookies('a=hello%20world; b="quoted"; c=100%; d=x=y')).toEqual({
      a: 'hello world',
      b: 'quoted',
      c: '100%',
      d: 'x=y',
    });
  });

  it('skips pairs without a name or an equals sign', () => {
    expect(parseCookies('=orphan; flag; ok=1')).toEqual({ ok: '1' });
  });

  it('cannot be tricked into setting properties of Object.prototype', () => {
    const cookies = parseCookies('__proto__=x; constructor=y');
    expect(cookies['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.getPrototypeOf(cookies)).toBeNull();
  });
});
