// Read routes of deployments: the environments of a project, one environment in detail, its
// history page by page, and what became of one request (waiting for its outcome, if asked).
import { createRoute } from '@hono/zod-openapi';
import { findDeploymentState, listHistory, listProjectEnvironments, projectExists } from '../../db/deployment-reads.js';
import { environmentWorkflowId } from '../../../workflows/messages.js';
import type { ResolvedApiDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { readLiveWorkflow } from '../live-workflow.js';
import type { Guards } from '../middleware/guards.js';
import { presentDeploymentState, presentEnvironment, presentHistoryRow } from '../presenters.js';
import { requireEffectivePolicy, requireEnvironment } from '../require-environment.js';
import { createRouter } from '../router.js';
import { bearerSecurity, environmentParams, projectParams, readErrors } from '../schemas/common.js';
import { deploymentDetail, deploymentList, historyPage, historyQuery, requestOutcome, requestParams, requestQuery } from '../schemas/deployments.js';
import { followRequest } from '../request-outcome.js';
import { heldAnswerSignal } from '../held-answer-signal.js';

const DETAIL_HISTORY_ROWS = 20;

export function deploymentReadRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();

  const list = createRoute({
    method: 'get',
    path: '/{project}/deployments',
    tags: ['deployments'],
    summary: 'The environments of a project with their current state',
    security: bearerSecurity,
    middleware: guards.read('deploy:read'),
    request: { params: projectParams },
    responses: { 200: { description: 'the environments', content: { 'application/json': { schema: deploymentList } } }, ...readErrors },
  });
  router.openapi(list, async (c) => {
    const { project } = c.req.valid('param');
    if (!(await projectExists(deps.pool, project))) throw notFound(`project ${project} does not exist`);
    const environments = await listProjectEnvironments(deps.pool, project);
    return c.json(
      {
        project,
        environments: environments.map((row) => ({
          environment: row.environment,
          namespace: row.namespace,
          ops_repo: row.opsRepo,
          manifest_path: row.manifestPath,
          deployment: presentDeploymentState(row.deployment),
        })),
      },
      200,
    );
  });

  const detail = createRoute({
    method: 'get',
    path: '/{project}/deployments/{env}',
    tags: ['deployments'],
    summary: 'One environment: registration, recorded state, live workflow state, recent history',
    security: bearerSecurity,
    middleware: guards.read('deploy:read'),
    request: { params: environmentParams },
    responses: { 200: { description: 'the environment', content: { 'application/json': { schema: deploymentDetail } } }, ...readErrors },
  });
  router.openapi(detail, async (c) => {
    const { project, env } = c.req.valid('param');
    const registration = await requireEnvironment(deps.pool, project, env);
    const [policy, deployment, workflow, history] = await Promise.all([
      requireEffectivePolicy(deps, project, env),
      findDeploymentState(deps.pool, project, env),
      readLiveWorkflow(deps.temporalClient, environmentWorkflowId(project, env), deps.workflowQueryTimeoutMs, deps.pool),
      listHistory(deps.pool, project, env, { limit: DETAIL_HISTORY_ROWS }),
    ]);
    return c.json(
      {
        registration: presentEnvironment(registration, policy),
        deployment: presentDeploymentState(deployment),
        workflow,
        history: history.map(presentHistoryRow),
      },
      200,
    );
  });

  const history = createRoute({
    method: 'get',
    path: '/{project}/deployments/{env}/history',
    tags: ['deployments'],
    summary: 'The history of an environment, newest first, paginated by id',
    security: bearerSecurity,
    middleware: guards.read('deploy:read'),
    request: { params: environmentParams, query: historyQuery },
    responses: { 200: { description: 'one page of history', content: { 'application/json': { schema: historyPage } } }, ...readErrors },
  });
  router.openapi(history, async (c) => {
    const { project, env } = c.req.valid('param');
    const { limit, before } = c.req.valid('query');
    await requireEnvironment(deps.pool, project, env);
    // One row more than asked tells whether another page exists.
    const rows = await listHistory(deps.pool, project, env, { limit: limit + 1, before });
    const page = rows.slice(0, limit);
    return c.json({ items: page.map(presentHistoryRow), next_before: rows.length > limit ? page.at(-1)!.id : null }, 200);
  });

  const request = createRoute({
    method: 'get',
    path: '/{project}/deployments/{env}/requests/{request_id}',
    tags: ['deployments'],
    summary: 'What became of one request: answers at once, or holds until its final outcome (wait_s)',
    security: bearerSecurity,
    middleware: guards.read('deploy:read'),
    request: { params: requestParams, query: requestQuery },
    responses: { 200: { description: 'where the request stands', content: { 'application/json': { schema: requestOutcome } } }, ...readErrors },
  });
  router.openapi(request, async (c) => {
    const { project, env, request_id: requestId } = c.req.valid('param');
    const { wait_s: waitS } = c.req.valid('query');
    await requireEnvironment(deps.pool, project, env);
    return c.json(await followRequest(deps, { project, environment: env }, requestId, waitS, heldAnswerSignal(c)), 200);
  });

  return router;
}
