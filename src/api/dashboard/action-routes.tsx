// The dashboard's buttons, server side: each form posts to its action's route, which takes the
// request through the same function as the API's route (deployment-requests.ts), behind the same
// scope check and audit row (dashboard-routes.ts attaches them). With htmx the answer is the
// actions section again: the accepted request followed to its outcome, or the form with what was
// typed and the error next to its field. Without script a post is answered like any form: a 303
// to the request's page once accepted, or the form again with the refusal's status.
// A refusal keeps its status either way (the layout has htmx swap 400, 409 and 503 answers).
import type { Context, Handler } from 'hono';
import type { Child } from 'hono/jsx';
import type { Principal } from '../../auth/find-token.js';
import { environmentWorkflowId } from '../../../workflows/messages.js';
import { z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import { requestQuery } from '../schemas/deployments.js';
import { decideRequest, requestCancel, requestDeploy, requestRollback, requestStop, type EnvironmentKey } from '../deployment-requests.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError, type FieldIssue } from '../errors.js';
import { readLiveWorkflow } from '../live-workflow.js';
import { followRequest } from '../request-outcome.js';
import { heldAnswerSignal } from '../held-answer-signal.js';
import { requesterOf } from '../requester.js';
import { requireEnvironment } from '../require-environment.js';
import { actionBody, formFields, type FormFields } from './action-form-input.js';
import { requestPath, type ActionName } from './action-names.js';
import { EnvironmentActions, type ActionAttempt, type EnvironmentActionsProps } from './environment-actions.js';
import { Layout } from './layout.js';
import { environmentPath } from './paths.js';
import { RequestOutcomeView, type FollowedRequest } from './request-outcome-view.js';
import { findAwaitingApproval } from './awaiting-approval.js';
import { page } from './respond.js';

type Deps = ResolvedApiDeps;

/** What the dashboard did with each action, as the follow-up says it. */
export const TAKEN = ['accepted', 'approved', 'rejected'] as const;
type Taken = (typeof TAKEN)[number];

/** The follow-up's query: what was done, and how long to hold the answer for a final outcome (as the API's wait_s). */
export const followQuery = z.strictObject({
  taken: z.enum(TAKEN).default('accepted').openapi({ param: { name: 'taken', in: 'query' } }),
  wait_s: requestQuery.shape.wait_s,
});

function isHtmx(c: Context): boolean {
  return c.req.header('HX-Request') === 'true';
}

function environmentKey(c: Context<AppEnv>): EnvironmentKey {
  return { project: c.req.param('project') ?? '', environment: c.req.param('env') ?? '' };
}

/** Sends the action's request; answers the request to follow (for a decision: the request decided on, which now runs or ends). */
async function send(deps: Deps, c: Context<AppEnv>, action: ActionName, key: EnvironmentKey, fields: FormFields): Promise<FollowedRequest> {
  const requester = requesterOf(c);
  const accepted = (requestId: string): FollowedRequest => ({ ...key, requestId, taken: 'accepted' });
  switch (action) {
    case 'deploy':
      return accepted((await requestDeploy(deps, requester, key, actionBody('deploy', fields))).request_id);
    case 'rollback':
      return accepted((await requestRollback(deps, requester, key, actionBody('rollback', fields))).request_id);
    case 'stop':
      return accepted((await requestStop(deps, requester, key, actionBody('stop', fields))).request_id);
    case 'cancel':
      return accepted((await requestCancel(deps, requester, key, actionBody('cancel', fields))).request_id);
    case 'approve':
    case 'reject': {
      const answer = await decideRequest(deps, requester, key, action, actionBody(action, fields));
      return { ...key, requestId: answer.request_id, taken: answer.decision };
    }
  }
}

/** The actions section as it stands now: the live workflow, and the history row of a request waiting for approval. */
async function actionsNow(deps: Deps, principal: Principal, key: EnvironmentKey): Promise<EnvironmentActionsProps> {
  const workflow = await readLiveWorkflow(deps.temporalClient, environmentWorkflowId(key.project, key.environment), deps.workflowQueryTimeoutMs, deps.pool);
  return { principal, registration: key, workflow, awaiting: await findAwaitingApproval(deps.pool, key, workflow) };
}

/** A page of its own for the answer, when no script swaps it into the environment's page. */
function ActionsPage(props: { title: string; principal: Principal; environment: EnvironmentKey; children?: Child }) {
  const { project, environment } = props.environment;
  return (
    <Layout title={props.title} principal={props.principal}>
      <nav aria-label="breadcrumb" class="crumbs">
        <a href="/">Fleet</a> / <a href={environmentPath(project, environment)}>{`${project}/${environment}`}</a>
      </nav>
      <h1>{props.title}</h1>
      {props.children}
    </Layout>
  );
}

/** The field errors an ApiError carries (a 400's details, or a 409 naming its field). */
function fieldIssuesOf(error: ApiError): FieldIssue[] {
  const details = error.extra.details;
  if (!Array.isArray(details)) return [];
  return details.filter((issue): issue is FieldIssue => typeof issue?.field === 'string' && typeof issue?.message === 'string');
}

/** POST …/{action}: take the request, or give the form back with why not. */
export function takeAction(deps: Deps, action: ActionName): Handler<AppEnv> {
  return async (c) => {
    const principal = c.get('principal');
    const key = environmentKey(c);
    const fields = formFields(action, await c.req.parseBody());
    try {
      const followed = await send(deps, c, action, key, fields);
      if (!isHtmx(c)) return c.redirect(`${requestPath(key.project, key.environment, followed.requestId)}?taken=${followed.taken}`, 303);
      return page(c, <EnvironmentActions {...await actionsNow(deps, principal, key)} followed={{ request: followed, outcome: null }} />);
    } catch (error) {
      // Refusals the user can act on come back in the form; the rest (403, 404) are the error page's.
      if (!(error instanceof ApiError) || ![400, 409, 503].includes(error.status)) throw error;
      c.set('apiError', error.payload);
      const issues = fieldIssuesOf(error);
      const attempt: ActionAttempt = { action, fields, issues, ...(issues.length === 0 ? { error: error.message } : {}) };
      const section = <EnvironmentActions {...await actionsNow(deps, principal, key)} attempt={attempt} />;
      if (isHtmx(c)) return page(c, section, error.status);
      return page(
        c,
        <ActionsPage title={`${key.project}/${key.environment}: ${action} refused`} principal={principal} environment={key}>
          {section}
        </ActionsPage>,
        error.status,
      );
    }
  };
}

/**
 * GET …/requests/{request_id}: where a request the buttons sent stands, held until it is final or
 * `wait_s` passed. For htmx the fragment (which asks again while not final), else a page.
 */
export function followRequestRoute(deps: Deps): Handler<AppEnv> {
  return async (c) => {
    const principal = c.get('principal');
    const key = environmentKey(c);
    if (principal.project !== null && key.project !== principal.project) {
      throw new ApiError(403, 'forbidden', `token "${principal.name}" is bound to project ${principal.project}, not ${key.project}`);
    }
    await requireEnvironment(deps.pool, key.project, key.environment);
    const requestId = c.req.param('request_id') ?? '';
    // Validated by the route's query schema (followQuery).
    const taken = (c.req.query('taken') ?? 'accepted') as Taken;
    const waitS = Number(c.req.query('wait_s') ?? 0);
    const outcome = await followRequest(deps, key, requestId, waitS, heldAnswerSignal(c));
    const view = <RequestOutcomeView request={{ ...key, requestId, taken }} outcome={outcome} />;
    if (isHtmx(c)) return page(c, view);
    return page(
      c,
      <ActionsPage title={`Request ${requestId}`} principal={principal} environment={key}>
        {view}
        <p>
          <a href={environmentPath(key.project, key.environment)}>{`Back to ${key.project}/${key.environment}`}</a>
        </p>
      </ActionsPage>,
    );
  };
}
