// Approving or rejecting the deploy or rollback an environment holds at its approval gate. The
// scope is deploy:approve, apart from deploy:promote; who decides is the token's name, taken as a
// deploy takes its requester, so the workflow can refuse a requester approving their own request.
// The workflow decides whether the decision stands and answers why not (409). The request itself is
// taken by deployment-requests.ts, shared with the dashboard's buttons.
import { createRoute } from '@hono/zod-openapi';
import type { Decision } from '../../client/decide-approval.js';
import { decideRequest } from '../deployment-requests.js';
import type { ResolvedApiDeps } from '../deps.js';
import type { Guards } from '../middleware/guards.js';
import { requesterOf } from '../requester.js';
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
      return c.json(await decideRequest(deps, requesterOf(c), { project, environment: env }, decision, c.req.valid('json')), 200);
    });
  }

  return router;
}
