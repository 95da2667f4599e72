import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { parseCookies } from './cookies.js';

export const USER_COOKIE = 'trellis_user';
export const USER_HEADER = 'x-user-id';
/** The shop-wide shape of a user id (docs/shop.md). */
export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

const COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1_000;

/** A fresh anonymous user: `u_` and 12 hex digits. */
export function newUserId(): string {
  return `u_${randomBytes(6).toString('hex')}`;
}

/**
 * Works out who the user is: the `x-user-id` header (load generators and tests; a malformed one
 * is refused with 400), else the `trellis_user` cookie, else a new id set as that cookie. A
 * malformed cookie is replaced rather than refused, since a browser user cannot fix a cookie.
 */
export function userIdentity(): RequestHandler {
  return (request, response, next) => {
    const header = request.get(USER_HEADER);
    if (header !== undefined) {
      if (!USER_ID.test(header)) {
        response.status(400).json({
          error: {
            code: 'ERR_BAD_REQUEST',
            message: `${USER_HEADER}: a user id is 1 to 64 letters, digits, "_" or "-"`,
          },
        });
        return;
      }
      response.locals['userId'] = header;
      return next();
    }
    const cookie = parseCookies(request.get('cookie'))[USER_COOKIE];
    if (cookie !== undefined && USER_ID.test(cookie)) {
      response.locals['userId'] = cookie;
      return next();
    }
    const userId = newUserId();
    response.cookie(USER_COOKIE, userId, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: COOKIE_MAX_AGE_MS,
    });
    response.locals['userId'] = userId;
    next();
  };
}

/** The user `userIdentity()` found for this response. */
export function userIdOf(response: Response): string {
  const userId: unknown = response.locals['userId'];
  if (typeof userId !== 'string') throw new Error('userIdentity() must run before this route');
  return userId;
}
