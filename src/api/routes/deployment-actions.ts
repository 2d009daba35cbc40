// Mutating routes of deployments: each takes its request through deployment-requests.ts (shared
// with the dashboard's forms), which sends it to the environment's workflow (a deploy, rollback or
// stop as an update, a cancel as a signal); the workflow records what it does.
import { createRoute, z } from '@hono/zod-openapi';
import { requestCancel, requestDeploy, requestRollback, requestStop } from '../deployment-requests.js';
import type { ResolvedApiDeps } from '../deps.js';
import type { Guards } from '../middleware/guards.js';
import { requesterOf } from '../requester.js';
import { createRouter } from '../router.js';
import { acceptedBody, bearerSecurity, environmentParams, mutationErrors, requestIdHeaders } from '../schemas/common.js';
import { patchDeploymentBody, reasonBody, rollbackBody } from '../schemas/deployments.js';

function jsonBody<Schema extends z.ZodType>(schema: Schema, required: boolean) {
  return { required, content: { 'application/json': { schema } } };
}

export function deploymentActionRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const accepted = {
    202: { description: 'accepted: the workflow takes it up (latest wins)', content: { 'application/json': { schema: acceptedBody } } },
    ...mutationErrors,
  };

  const patch = createRoute({
    method: 'patch',
    path: '/{project}/deployments/{env}',
    tags: ['deployments'],
    summary: 'Deploy an image, stop or resume, or change the stored values override',
    security: bearerSecurity,
    middleware: guards.mutation('deploy:promote', 'deployment.update'),
    request: { params: environmentParams, headers: requestIdHeaders, body: jsonBody(patchDeploymentBody, true) },
    responses: accepted,
  });
  router.openapi(patch, async (c) => {
    const { project, env } = c.req.valid('param');
    return c.json(await requestDeploy(deps, requesterOf(c), { project, environment: env }, c.req.valid('json')), 202);
  });

  const rollback = createRoute({
    method: 'post',
    path: '/{project}/deployments/{env}/rollback',
    tags: ['deployments'],
    summary: 'Roll back to a release (default: the last healthy one before the current)',
    security: bearerSecurity,
    middleware: guards.mutation('deploy:promote', 'deployment.rollback'),
    request: { params: environmentParams, headers: requestIdHeaders, body: jsonBody(rollbackBody, false) },
    responses: accepted,
  });
  router.openapi(rollback, async (c) => {
    const { project, env } = c.req.valid('param');
    return c.json(await requestRollback(deps, requesterOf(c), { project, environment: env }, c.req.valid('json')), 202);
  });

  for (const [name, send, summary] of [
    ['stop', requestStop, 'Scale the environment\'s workloads to 0 until the next deploy'],
    ['cancel', requestCancel, 'Abort the deployment in flight'],
  ] as const) {
    const route = createRoute({
      method: 'post',
      path: `/{project}/deployments/{env}/${name}`,
      tags: ['deployments'],
      summary,
      security: bearerSecurity,
      middleware: guards.mutation('deploy:promote', `deployment.${name}`),
      request: { params: environmentParams, headers: requestIdHeaders, body: jsonBody(reasonBody, false) },
      responses: accepted,
    });
    router.openapi(route, async (c) => {
      const { project, env } = c.req.valid('param');
      return c.json(await send(deps, requesterOf(c), { project, environment: env }, c.req.valid('json')), 202);
    });
  }

  return router;
}
