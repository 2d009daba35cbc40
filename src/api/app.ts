// The HTTP API: one router per resource, mounted on an app that tests drive with `app.request`
// and `listen.ts` serves. Requests reach workflows only through src/client.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.js';
import { resolveDeps, type ApiDeps } from './deps.js';
import { handleErrors, handleNotFound } from './error-handler.js';
import { createGuards } from './middleware/guards.js';
import { createRouter } from './router.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { SESSION_COOKIE } from './dashboard/session-cookie.js';
import { deploymentActionRoutes } from './routes/deployment-actions.js';
import { deploymentApprovalRoutes } from './routes/deployment-approvals.js';
import { deploymentPreviewRoutes } from './routes/deployment-preview.js';
import { deploymentReadRoutes } from './routes/deployment-reads.js';
import { whoamiRoutes } from './routes/whoami.js';
import { docsRoutes } from './routes/docs.js';
import { environmentRoutes } from './routes/environments.js';
import { gitWebhookRoutes } from './routes/git-webhooks.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { opsRepoRoutes } from './routes/ops-repos.js';
import { notificationRoutes } from './routes/notifications.js';
import { projectPolicyRoutes } from './routes/project-policy.js';
import { payloadCodecRoutes } from './routes/payload-codec.js';

export type { ApiDeps } from './deps.js';

export function createApp(input: ApiDeps): OpenAPIHono<AppEnv> {
  const deps = resolveDeps(input);
  const guards = createGuards(deps);
  const app = createRouter();

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'an API token (dpl_…) with the scope the route needs: deploy:read, deploy:promote, deploy:approve or admin',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: "the dashboard's session: a token with deploy:read, set by POST /session",
  });

  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(deps));
  app.route('/api', whoamiRoutes(deps));
  app.route('/api/projects', deploymentReadRoutes(deps, guards));
  app.route('/api/projects', deploymentActionRoutes(deps, guards));
  app.route('/api/projects', deploymentApprovalRoutes(deps, guards));
  app.route('/api/projects', deploymentPreviewRoutes(deps, guards));
  app.route('/api/projects', environmentRoutes(deps, guards));
  app.route('/api/projects', projectPolicyRoutes(deps, guards));
  app.route('/api/admin/ops-repos', opsRepoRoutes(deps, guards));
  app.route('/api/notifications/subscriptions', notificationRoutes(deps, guards));
  app.route('/api/hooks/git', gitWebhookRoutes(deps));
  app.route('/codec', payloadCodecRoutes(deps, deps.codecCorsOrigins));
  app.route('/', docsRoutes(app));
  app.route('/', dashboardRoutes(deps));

  app.onError(handleErrors(deps.logger));
  app.notFound(handleNotFound);
  return app;
}
