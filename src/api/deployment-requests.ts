// The requests a caller may make of an environment — deploy, roll back, stop, cancel, approve,
// reject — as one function each, shared by the JSON API's routes and the dashboard's forms, so
// both take a request the same way: same checks (the scope itself is the caller's middleware),
// same message to the workflow, same answer, same details for the audit row, same errors. They
// change nothing in Postgres themselves (except a stored values override and secrets): the
// workflow records what it does.
import type { z } from '@hono/zod-openapi';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Principal } from '../auth/find-token.js';
import { grantsScope } from '../auth/scopes.js';
import { ApprovalRefusedError, decideApproval, NotAwaitingApprovalError, type Decision } from '../client/decide-approval.js';
import { findDeploymentState } from '../db/deployment-reads.js';
import { updateEnvironmentSecrets } from '../db/environment-secrets.js';
import { updateValuesOverride, type EnvironmentRecord } from '../db/environment-settings.js';
import { describeSecretChanges } from '../domain/secrets.js';
import {
  cancelSignal,
  deploySignal,
  deployUpdate,
  environmentWorkflowId,
  rollbackSignal,
  rollbackUpdate,
  stopSignal,
  stopUpdate,
  type GatedRequest,
  type RequestMeta,
} from '../../workflows/messages.js';
import type { RequestAcceptance } from '../../workflows/state.js';
import type { ResolvedApiDeps } from './deps.js';
import { ApiError, conflict } from './errors.js';
import { requestWorkflow } from './request-workflow.js';
import { requireEffectivePolicy, requireEnvironment } from './require-environment.js';
import type { approvalBody, patchDeploymentBody, reasonBody, rollbackBody } from './schemas/deployments.js';
import { assertCanSealSecrets, secretWriteError } from './secret-writes.js';
import { signalWorkflow } from './signal-workflow.js';

export type DeployInput = z.infer<typeof patchDeploymentBody>;
export type RollbackInput = z.infer<typeof rollbackBody>;
export type ReasonInput = z.infer<typeof reasonBody>;
export type DecisionInput = z.infer<typeof approvalBody>;

/** Who asks, under which request id, and where the audit row's details go (set early, so a request that fails later still records them). */
export interface Requester {
  principal: Principal;
  requestId: string;
  noteAudit(details: Record<string, unknown>): void;
}

/** The environment a request is for, as its route names it. */
export interface EnvironmentKey {
  project: string;
  environment: string;
}

export type SignalName = 'deploy' | 'rollback' | 'stop' | 'cancel';

/** What every accepted request answers (the API's 202 body). */
export interface AcceptedRequest {
  request_id: string;
  workflow_id: string;
  signal: SignalName | null;
  outcome: RequestAcceptance['outcome'] | null;
  accepted_at: string;
}

export interface DecidedRequest {
  request_id: string;
  decision: 'approved' | 'rejected';
  decided_at: string;
}

type Deps = ResolvedApiDeps;

function requestMeta(requester: Requester, reason: string | undefined): RequestMeta {
  return { requestId: requester.requestId, requestedBy: requester.principal.name, ...(reason === undefined ? {} : { reason }) };
}

/**
 * What a deploy or rollback carries past a freeze window, checked: overriding one is the admin's
 * call (a promote token's holder is who the freeze holds back), and it is audited.
 */
function freezeOverride(principal: Principal, override: boolean | undefined): { request: Partial<GatedRequest>; audit: Record<string, unknown> } {
  if (override !== true) return { request: {}, audit: {} };
  if (!grantsScope(principal.scopes, 'admin')) {
    throw new ApiError(403, 'forbidden', `override_freeze needs the admin scope; token "${principal.name}" lacks it`);
  }
  return { request: { overrideFreeze: true }, audit: { override_freeze: true } };
}

/**
 * The answer of an accepted request, and its audit row's details. A request the workflow answered
 * also records its receipt there: the long poll reads it once the log drops the request.
 */
function acceptance(deps: Deps, requester: Requester, environment: EnvironmentRecord, signal: SignalName | null, details: Record<string, unknown>, taken?: RequestAcceptance): AcceptedRequest {
  requester.noteAudit({ signal, ...details, ...(taken ? { position: taken.position, first_run_id: taken.firstRunId } : {}) });
  return {
    request_id: requester.requestId,
    workflow_id: environmentWorkflowId(environment.project, environment.environment),
    signal,
    outcome: taken?.outcome ?? null,
    accepted_at: deps.now().toISOString(),
  };
}

/** What starting the environment's workflow needs, should the request find none: its effective policy, gates included. */
async function target(deps: Deps, environment: EnvironmentRecord) {
  return {
    project: environment.project,
    environment: environment.environment,
    policy: await requireEffectivePolicy(deps, environment.project, environment.environment),
  };
}

async function stopEnvironment(deps: Deps, environment: EnvironmentRecord, meta: RequestMeta): Promise<RequestAcceptance | undefined> {
  return (await requestWorkflow(deps, await target(deps, environment), { update: stopUpdate, signal: stopSignal }, meta)).acceptance;
}

/** Deploy an image, stop or resume, or change the stored values override and secrets (PATCH …/deployments/{env}). */
export async function requestDeploy(deps: Deps, requester: Requester, key: EnvironmentKey, body: DeployInput): Promise<AcceptedRequest> {
  const { project, environment: env } = key;
  const override = freezeOverride(requester.principal, body.override_freeze);
  assertCanSealSecrets(deps, body.secrets);
  const environment = await requireEnvironment(deps.pool, project, env);
  const meta = requestMeta(requester, body.reason);
  // Secrets are stored before the signal, which never carries them (Temporal's history would
  // keep them): the deploy's render reads them from the database, as every later render does.
  // The audit row and the answer get their names and fingerprints.
  const storeSecrets = async (): Promise<Record<string, unknown>> => {
    if (body.secrets === undefined) return {};
    const fingerprints = await updateEnvironmentSecrets(deps.pool, deps.payloadKeys ?? undefined, project, env, body.secrets).catch((error: unknown) => {
      throw secretWriteError(error);
    });
    const stored = { secrets: describeSecretChanges(body.secrets, fingerprints) };
    requester.noteAudit(stored);
    return stored;
  };

  if (body.desired_status === 'stopped') {
    return acceptance(deps, requester, environment, 'stop', {}, await stopEnvironment(deps, environment, meta));
  }
  if (body.image_ref === undefined && body.desired_status === undefined) {
    // Only stored settings change; the next deployment or drift pass renders with them.
    const secretChanges = await storeSecrets();
    if (body.values_override !== undefined) await updateValuesOverride(deps.pool, project, env, body.values_override);
    return acceptance(deps, requester, environment, null, { values_override: body.values_override, ...secretChanges });
  }
  let imageRef = body.image_ref;
  if (imageRef === undefined) {
    // "running" without an image resumes what the environment should run.
    imageRef = (await findDeploymentState(deps.pool, project, env))?.desiredImage ?? undefined;
    if (imageRef === undefined) {
      throw conflict('no_desired_image', `${project}/${env} has no desired image to resume; give image_ref`, [
        { field: 'image_ref', message: 'image_ref: is required to resume an environment that never deployed' },
      ]);
    }
  }
  const secretChanges = await storeSecrets();
  const sent = await requestWorkflow(deps, await target(deps, environment), { update: deployUpdate, signal: deploySignal }, {
    ...meta,
    ...override.request,
    imageRef,
    ...(body.values_override === undefined ? {} : { valuesOverride: body.values_override }),
  });
  const details = { image_ref: imageRef, values_override: body.values_override, ...secretChanges, ...override.audit };
  return acceptance(deps, requester, environment, 'deploy', details, sent.acceptance);
}

/** Roll back to a release (default: the last healthy one before the current). */
export async function requestRollback(deps: Deps, requester: Requester, key: EnvironmentKey, body: RollbackInput): Promise<AcceptedRequest> {
  const override = freezeOverride(requester.principal, body.override_freeze);
  const environment = await requireEnvironment(deps.pool, key.project, key.environment);
  const sent = await requestWorkflow(deps, await target(deps, environment), { update: rollbackUpdate, signal: rollbackSignal }, {
    ...requestMeta(requester, body.reason),
    ...override.request,
    ...(body.to_release === undefined ? {} : { toRelease: body.to_release }),
  });
  return acceptance(deps, requester, environment, 'rollback', { to_release: body.to_release ?? null, ...override.audit }, sent.acceptance);
}

/** Scale the environment's workloads to 0 until the next deploy: an update, answering its receipt. */
export async function requestStop(deps: Deps, requester: Requester, key: EnvironmentKey, body: ReasonInput): Promise<AcceptedRequest> {
  const environment = await requireEnvironment(deps.pool, key.project, key.environment);
  return acceptance(deps, requester, environment, 'stop', {}, await stopEnvironment(deps, environment, requestMeta(requester, body.reason)));
}

/** Abort the deployment in flight: a signal, since a cancel is never superseded and has no receipt to wait for. */
export async function requestCancel(deps: Deps, requester: Requester, key: EnvironmentKey, body: ReasonInput): Promise<AcceptedRequest> {
  const environment = await requireEnvironment(deps.pool, key.project, key.environment);
  await signalWorkflow(deps, await target(deps, environment), cancelSignal, requestMeta(requester, body.reason));
  return acceptance(deps, requester, environment, 'cancel', {});
}

/**
 * Approve or reject the deploy or rollback waiting at the approval gate. Who decides is the
 * token's name, so the workflow can refuse a requester approving their own request; the workflow
 * decides whether the decision stands and says why not (409).
 */
export async function decideRequest(deps: Deps, requester: Requester, key: EnvironmentKey, decision: Decision, body: DecisionInput): Promise<DecidedRequest> {
  const { project, environment: env } = key;
  const requestId = body.request_id;
  requester.noteAudit({ request_id: requestId, reason: body.reason ?? null });
  await requireEnvironment(deps.pool, project, env);
  const request = { requestId, decidedBy: requester.principal.name, ...(body.reason === undefined ? {} : { reason: body.reason }) };
  try {
    const answer = await decideApproval(deps.temporalClient, key, decision, request, { timeoutMs: deps.requestAcceptTimeoutMs });
    return { request_id: answer.requestId, decision: answer.decision, decided_at: answer.decidedAt };
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
}
