// Read routes of deployments: the environments of a project, one environment in detail, its
// history page by page, and what became of one request (waiting for its outcome, if asked).
import { createRoute } from '@hono/zod-openapi';
import { findDeploymentState, listHistory, listProjectEnvironments, projectExists } from '../../db/deployment-reads.js';
import type { RequestReceipt } from '../../../workflows/state.js';
import { recordedAnswer, recordedReceipt } from '../recorded-request.js';
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
import { DeployerClient } from '../../client/deployer-client.js';
import { isFinal, requestIn } from '../../client/request-standing.js';

const DETAIL_HISTORY_ROWS = 20;
/** How often a waiting request is looked at again (a describe and a state query), as the SDK does: a minute of waiting costs 120 of each. */
const REQUEST_POLL_MS = 500;

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
      readLiveWorkflow(deps.temporalClient, environmentWorkflowId(project, env), deps.workflowQueryTimeoutMs),
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
    const key = { project, environment: env };
    const client = new DeployerClient({ client: deps.temporalClient, taskQueue: deps.taskQueue });
    const deadline = Date.now() + waitS * 1000;
    /** the receipt the request's audit row keeps, read once the workflow's log does not list the request */
    let receipt: RequestReceipt | null | undefined;
    for (;;) {
      const live = await client.workflowStatus(key);
      const state = live ? await client.state(key).catch(() => undefined) : undefined;
      let standing = requestIn(state, requestId);
      if (!standing.request && state) {
        receipt ??= (await recordedReceipt(deps.pool, project, env, requestId)) ?? null;
        if (receipt) standing = requestIn(state, requestId, receipt);
      }
      // What the workflow cannot tell (a request it forgot, a run that ended or started afresh), the history can.
      const recorded = !standing.request || standing.request.outcome === 'forgotten' ? await recordedAnswer(deps.pool, project, env, requestId) : undefined;
      const { request: entry, release } = recorded ?? standing;
      // A workflow that is not running will not move the request any further: its word is final.
      const final = (entry !== undefined && isFinal(entry.outcome)) || (live !== undefined && !live.running);
      if (final || Date.now() >= deadline) {
        return c.json(
          {
            request_id: requestId,
            outcome: entry?.outcome ?? 'unknown',
            final,
            detail: entry?.detail ?? null,
            release: release
              ? { seq: release.seq ?? null, image_ref: release.imageRef, ops_sha: release.opsSha ?? null, status: release.status, error: release.error ?? null }
              : null,
            waiting_for: state?.waitingFor ?? null,
            step: state?.inFlight?.requestId === requestId ? state.inFlight.step : null,
            workflow_status: live?.status ?? 'NONE',
          },
          200,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(REQUEST_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  });

  return router;
}
