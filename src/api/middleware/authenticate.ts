// Bearer-token authentication: every failure is a 401 with a JSON body, never a 500 from a bad
// header, and the database is only asked about strings shaped like our tokens.
import type { MiddlewareHandler } from 'hono';
import type pg from 'pg';
import { findActiveToken } from '../../auth/find-token.js';
import { isWellFormedToken } from '../../auth/tokens.js';
import type { AppEnv } from '../app-env.js';
import { ApiError } from '../errors.js';

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="deployer"' } });
}

export function authenticate(pool: pg.Pool): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined || header.trim() === '') throw unauthorized('missing bearer token: send "Authorization: Bearer dpl_…"');
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (token === undefined) throw unauthorized('malformed Authorization header: expected "Bearer dpl_…"');
    if (!isWellFormedToken(token)) throw unauthorized('malformed token: deployer tokens start with "dpl_"');
    const principal = await findActiveToken(pool, token);
    if (!principal) throw unauthorized('unknown or revoked token');
    c.set('principal', principal);
    await next();
  };
}
