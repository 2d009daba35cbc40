// The web dashboard, served by the API process on the API's tokens: the sign-in page and session,
// the fleet at /, one environment's page, and the two static files. Its pages are HTML rendered
// on the server (Hono's JSX) with htmx for in-place updates; it reads through the same db
// functions and workflow queries as the API's routes. Middleware is attached route by route:
// this router is mounted at /, and a `use('*')` here would run for every API route too.
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { limitBodySize } from '../middleware/body-size.js';
import { htmxScript, serveAsset, stylesheet } from './assets.js';
import { handleDashboardErrors } from './dashboard-errors.js';
import { environmentRoute } from './environment-route.js';
import { fleetRoute } from './fleet-route.js';
import { requireSession } from './require-session.js';
import { sameOriginForms } from './same-origin.js';
import { signIn, signOut } from './session-routes.js';

export function dashboardRoutes(deps: ResolvedApiDeps): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const signedIn = requireSession(deps.pool);
  router.get(htmxScript.path, serveAsset(htmxScript));
  router.get(stylesheet.path, serveAsset(stylesheet));
  router.get('/', signedIn, fleetRoute(deps));
  router.get('/projects/:project/environments/:env', signedIn, environmentRoute(deps));
  router.post('/session', sameOriginForms, limitBodySize, signIn(deps.pool));
  router.post('/session/delete', sameOriginForms, signOut);
  router.onError(handleDashboardErrors(deps.logger));
  return router;
}
