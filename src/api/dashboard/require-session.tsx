// Dashboard pages are for a signed-in user: the session cookie must hold a token that is still
// active and may read deployments (the same lookup as the API's bearer tokens). Anyone else gets
// the sign-in page, never data, which brings them back to the page they asked for once signed in;
// a session whose token was revoked meanwhile is ended.
import type pg from 'pg';
import type { MiddlewareHandler } from 'hono';
import { findActiveToken } from '../../auth/find-token.js';
import { grantsScope } from '../../auth/scopes.js';
import type { AppEnv } from '../app-env.js';
import { page } from './respond.js';
import { FLEET_PATH, requestedPath } from './return-path.js';
import { endSession, sessionToken } from './session-cookie.js';
import { SignInView } from './sign-in-view.js';

export function requireSession(pool: pg.Pool): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    // Only a page is worth returning to: a form's post is not repeated by a GET.
    const returnTo = c.req.method === 'GET' ? requestedPath(c.req.url) : FLEET_PATH;
    if (token === undefined) return page(c, <SignInView returnTo={returnTo} />);
    const principal = await findActiveToken(pool, token);
    if (!principal || !grantsScope(principal.scopes, 'deploy:read')) {
      endSession(c);
      return page(c, <SignInView error="Your session ended: its token was revoked or lost the scope deploy:read. Sign in again." returnTo={returnTo} />, 401);
    }
    c.set('principal', principal);
    await next();
  };
}
