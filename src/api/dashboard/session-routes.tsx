// Signing in and out. POST /session checks the token as the API checks a bearer token, and only
// then puts it in the session cookie; each refusal says what was wrong with it, on the sign-in page.
// POST /session/delete ends the session. Both are forms of this origin only (see same-origin.ts).
import type pg from 'pg';
import type { Handler } from 'hono';
import { findActiveToken } from '../../auth/find-token.js';
import { grantsScope } from '../../auth/scopes.js';
import { isWellFormedToken } from '../../auth/tokens.js';
import type { AppEnv } from '../app-env.js';
import { page } from './respond.js';
import { safeReturnPath } from './return-path.js';
import { endSession, startSession } from './session-cookie.js';
import { SignInView } from './sign-in-view.js';

export function signIn(pool: pg.Pool): Handler<AppEnv> {
  return async (c) => {
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const returnTo = safeReturnPath(body.return_to);
    if (token === '') return page(c, <SignInView error="Enter an API token (dpl_…)." returnTo={returnTo} />, 400);
    if (!isWellFormedToken(token)) return page(c, <SignInView error='That is not a deployer token: they start with "dpl_".' returnTo={returnTo} />, 401);
    const principal = await findActiveToken(pool, token);
    if (!principal) return page(c, <SignInView error="Unknown or revoked token." returnTo={returnTo} />, 401);
    if (!grantsScope(principal.scopes, 'deploy:read')) {
      return page(c, <SignInView error={`Token "${principal.name}" lacks the scope deploy:read, which the dashboard needs to show anything.`} returnTo={returnTo} />, 403);
    }
    startSession(c, token);
    // 303: the browser follows with a GET, so a reload does not post the token again.
    return c.redirect(returnTo, 303);
  };
}

export const signOut: Handler<AppEnv> = (c) => {
  endSession(c);
  return c.redirect('/', 303);
};
