// The web dashboard, served by the API process on the API's tokens: the sign-in page and session,
// the fleet at /, one environment's page, and the two static files. Its pages are HTML rendered
// on the server (Hono's JSX) with htmx for in-place updates; it reads through the same db
// functions and workflow queries as the API's routes. Its routes are in the OpenAPI document
// (tag `dashboard`) like every route of the app, as HTML pages. Middleware is attached route by
// route: this router is mounted at /, and a `use('*')` here would run for every API route too.
import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { limitBodySize } from '../middleware/body-size.js';
import { createRouter } from '../router.js';
import { environmentParams } from '../schemas/common.js';
import { ASSET_DIR, serveAsset } from './assets.js';
import { handleDashboardErrors } from './dashboard-errors.js';
import { environmentRoute } from './environment-route.js';
import { fleetRoute } from './fleet-route.js';
import { liveEventsRoute } from './live-events-route.js';
import { requireSession } from './require-session.js';
import { sameOriginForms } from './same-origin.js';
import { signIn, signOut } from './session-routes.js';

/** The session cookie, as the OpenAPI document names it (app.ts registers the scheme). */
const sessionSecurity = [{ sessionCookie: [] }];

const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const toFleet = { description: 'signed in or out: to the fleet (or the sign-in page)' };

export function dashboardRoutes(deps: ResolvedApiDeps) {
  const router = createRouter();
  const signedIn = requireSession(deps.pool);
  const tags = ['dashboard'];

  router.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'The fleet: every environment the session may read, by project; the sign-in page without a session',
      security: sessionSecurity,
      middleware: [signedIn],
      responses: { 200: htmlPage('the fleet, or the sign-in page'), 400: htmlPage('a filter is malformed'), 401: htmlPage('the session ended'), 403: htmlPage('another project') },
    }),
    fleetRoute(deps),
  );
  router.openapi(
    createRoute({
      method: 'get',
      path: '/projects/{project}/environments/{env}',
      tags,
      summary: 'One environment: desired against current, what it waits for, its recent history',
      security: sessionSecurity,
      middleware: [signedIn],
      request: { params: environmentParams },
      responses: { 200: htmlPage('the environment, or the sign-in page'), 400: htmlPage('a malformed name'), 401: htmlPage('the session ended'), 403: htmlPage('another project'), 404: htmlPage('not registered') },
    }),
    environmentRoute(deps),
  );
  router.openapi(
    createRoute({
      method: 'get',
      path: '/dashboard/events',
      tags,
      summary: "Live updates as server-sent events: the fleet's changed rows (event fleet), or an environment's changes (event changed, with env)",
      security: sessionSecurity,
      middleware: [signedIn],
      request: { query: z.object({ project: z.string().optional(), env: z.string().optional() }) },
      responses: {
        200: { description: 'the event stream (fleet, changed, resync); the sign-in page without a session', content: { 'text/event-stream': { schema: z.string() } } },
        400: htmlPage('a malformed project or env, or env without project'),
        401: htmlPage('the session ended'),
        403: htmlPage('another project'),
      },
    }),
    liveEventsRoute(deps),
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/session',
      tags,
      summary:
        'Sign in: a form field `token` (a token with deploy:read) becomes the HttpOnly session cookie; `return_to`, a path of this origin, is where the browser goes next (else the fleet)',
      middleware: [sameOriginForms, limitBodySize],
      responses: { 303: { description: 'signed in: to the page of `return_to`, or the fleet' }, 400: htmlPage('no token'), 401: htmlPage('a malformed, unknown or revoked token'), 403: htmlPage('a token without deploy:read, or a form from another site') },
    }),
    signIn(deps.pool),
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/session/delete',
      tags,
      summary: 'Sign out: ends the session cookie',
      middleware: [sameOriginForms],
      responses: { 303: toFleet, 403: htmlPage('a form from another site') },
    }),
    signOut,
  );
  router.openapi(
    createRoute({
      method: 'get',
      path: `${ASSET_DIR}/{name}`,
      tags,
      summary: "A file of the dashboard's pages (htmx, the stylesheet), named by a digest of its content",
      request: { params: z.object({ name: z.string() }) },
      responses: { 200: { description: 'the file' }, 404: htmlPage('not a file of the dashboard, or of another version') },
    }),
    serveAsset,
  );
  // Set before the app mounts this router: Hono wraps each route with the router's handler then.
  router.onError(handleDashboardErrors(deps.logger));
  return router;
}
