// The web dashboard, served by the API process on the API's tokens: the sign-in page and session,
// the fleet at /, one environment's page, and the two static files. Its pages are HTML rendered
// on the server (Hono's JSX) with htmx for in-place updates; it reads through the same db
// functions and workflow queries as the API's routes. Its routes are in the OpenAPI document
// (tag `dashboard`) like every route of the app, as HTML pages. Middleware is attached route by
// route: this router is mounted at /, and a `use('*')` here would run for every API route too.
import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { auditMutation } from '../middleware/audit.js';
import { authorize } from '../middleware/authorize.js';
import { limitBodySize } from '../middleware/body-size.js';
import { resolveRequestId } from '../middleware/request-id.js';
import { createRouter } from '../router.js';
import { environmentParams } from '../schemas/common.js';
import { requestParams } from '../schemas/deployments.js';
import { ACTION_AUDIT, ACTION_SCOPE, ACTIONS, type ActionName } from './action-names.js';
import { followQuery, followRequestRoute, takeAction } from './action-routes.js';
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

const ACTION_SUMMARY: Record<ActionName, string> = {
  deploy: 'Deploy an image, with optional values, and a reason',
  rollback: 'Roll back to a chosen healthy release (default: the last before the current)',
  stop: "Stop: scale the environment's workloads to 0 until the next deploy",
  cancel: 'Cancel the deployment in flight',
  approve: 'Approve the request waiting for approval',
  reject: 'Reject the request waiting for approval',
};

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
  // The buttons: the middleware of the API's mutations (audit, scope, request id) behind the
  // session, so a token the session holds may do here exactly what it may do through the API.
  for (const action of ACTIONS) {
    router.openapi(
      createRoute({
        method: 'post',
        path: `/projects/{project}/environments/{env}/${action}`,
        tags,
        summary: `${ACTION_SUMMARY[action]} (a form; needs ${ACTION_SCOPE[action]}, as the API's route)`,
        security: sessionSecurity,
        middleware: [sameOriginForms, limitBodySize, signedIn, auditMutation(deps, ACTION_AUDIT[action]), authorize(ACTION_SCOPE[action]), resolveRequestId],
        request: { params: environmentParams },
        responses: {
          200: htmlPage('for htmx: the actions section, with the accepted request followed'),
          303: { description: 'accepted: to the request\'s page' },
          400: htmlPage('a field is wrong: the form again (for htmx: the actions section), the error next to it'),
          403: htmlPage('the token lacks the scope, another project, or a form from another site'),
          404: htmlPage('not registered'),
          409: htmlPage('the workflow refused it (e.g. nothing waits for approval)'),
          503: htmlPage('the workflow could not be reached; try again'),
        },
      }),
      takeAction(deps, action),
    );
  }
  router.openapi(
    createRoute({
      method: 'get',
      path: '/projects/{project}/environments/{env}/requests/{request_id}',
      tags,
      summary: 'What became of a request the buttons sent: held until its outcome is final or wait_s passed',
      security: sessionSecurity,
      middleware: [signedIn],
      request: { params: requestParams, query: followQuery },
      responses: { 200: htmlPage('where the request stands (for htmx: the fragment, asking again while not final)'), 400: htmlPage('a malformed name'), 401: htmlPage('the session ended'), 403: htmlPage('another project'), 404: htmlPage('not registered') },
    }),
    followRequestRoute(deps),
  );
  // Set before the app mounts this router: Hono wraps each route with the router's handler then.
  router.onError(handleDashboardErrors(deps.logger));
  return router;
}
