// Approving or rejecting the deploy or rollback an environment holds at its approval gate. The
// scope is deploy:approve, apart from deploy:promote; who decides is the token's name, taken as a
// deploy takes its requester, so the workflow can refuse a requester approving their own request.
// The workflow decides whether the decision stands and answers why not (409).
import { createRoute } from '@hono/zod-openapi';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApprovalRefusedError, decideApproval, NotAwaitingApprovalError, type Decision } from '../../client/decide-approval.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError, conflict } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { requireEnvironment } from '../require-environment.js';
import { createRouter } from '../router.js';
import { bearerSecurity, environmentParams, mutationErrors, requestIdHeaders } from '../schemas/common.js';
import { approvalAnswer, approvalBody } from '../schemas/deployments.js';

const SUMMARY: Record<Decision, string> = {
  approve: 'Approve the deploy or rollback waiting at the approval gate; it goes ahead (after any freeze)',
  reject: 'Reject the deploy or rollback waiting at the approval gate; it ends refused',
};

export function deploymentApprovalRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();

  for (const decision of ['approve', 'reject'] as const) {
    const route = createRoute({
      method: 'post',
      path: `/{project}/deployments/{env}/${decision}`,
      tags: ['deployments'],
      summary: SUMMARY[decision],
      security: bearerSecurity,
      middleware: guards.mutation('deploy:approve', `deployment.${decision}`),
      request: { params: environmentParams, headers: requestIdHeaders, body: { required: true, content: { 'application/json': { schema: approvalBody } } } },
      responses: {
        200: { description: 'the workflow took the decision', content: { 'application/json': { schema: approvalAnswer } } },
        ...mutationErrors,
      },
    });
    router.openapi(route, async (c) => {
      const { project, env } = c.req.valid('param');
      const body = c.req.valid('json');
      const requestId = body.request_id;
      c.set('auditDetails', { request_id: requestId, reason: body.reason ?? null });
      await requireEnvironment(deps.pool, project, env);
      const key = { project, environment: env };
      const request = { requestId, decidedBy: c.get('principal').name, ...(body.reason === undefined ? {} : { reason: body.reason }) };
      try {
        const answer = await decideApproval(deps.temporalClient, key, decision, request, { timeoutMs: deps.requestAcceptTimeoutMs });
        return c.json({ request_id: answer.requestId, decision: answer.decision, decided_at: answer.decidedAt }, 200);
      } catch (error) {
        if (error instanceof ApprovalRefusedError) throw conflict('approval_refused', `${decision} of request ${requestId}: ${error.message}`, { request_id: requestId });
        if (error instanceof NotAwaitingApprovalError) throw conflict('not_awaiting_approval', error.message, { request_id: requestId });
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
          throw new ApiError(503, 'workflow_unavailable', `no worker took the ${decision} of request ${requestId} in ${project}/${env} within ${deps.requestAcceptTimeoutMs} ms; retry`, {
            details: { request_id: requestId },
          });
        }
        deps.logger.error({ err: error, decision, project, environment: env, request_id: requestId }, 'sending the decision to the environment workflow failed');
        throw new ApiError(503, 'workflow_unavailable', `could not send the ${decision} of request ${requestId} to the workflow of ${project}/${env}; retry`, {
          details: { request_id: requestId },
        });
      }
    });
  }

  return router;
}
