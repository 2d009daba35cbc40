// Mutating routes of deployments. They change nothing in Postgres themselves (except a stored
// values override): they send the request to the environment's workflow (a deploy, rollback or
// stop as an update, a cancel as a signal), which records what it does.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { updateValuesOverride } from '../../db/environment-settings.js';
import type { EnvironmentRecord } from '../../db/environment-settings.js';
import { findDeploymentState } from '../../db/deployment-reads.js';
import { updateEnvironmentSecrets } from '../../db/environment-secrets.js';
import { describeSecretChanges } from '../../domain/secrets.js';
import { assertCanSealSecrets, secretWriteError } from '../secret-writes.js';
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
} from '../../../workflows/messages.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { grantsScope } from '../../auth/scopes.js';
import { ApiError, conflict } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { requireEffectivePolicy, requireEnvironment } from '../require-environment.js';
import { createRouter } from '../router.js';
import { acceptedBody, bearerSecurity, environmentParams, mutationErrors, requestIdHeaders } from '../schemas/common.js';
import { patchDeploymentBody, reasonBody, rollbackBody } from '../schemas/deployments.js';
import { signalWorkflow } from '../signal-workflow.js';
import { requestWorkflow } from '../request-workflow.js';
import type { RequestAcceptance } from '../../../workflows/state.js';

type SignalName = 'deploy' | 'rollback' | 'stop' | 'cancel';

function requestMeta(c: Context<AppEnv>, reason: string | undefined): RequestMeta {
  return { requestId: c.get('requestId'), requestedBy: c.get('principal').name, ...(reason === undefined ? {} : { reason }) };
}

/**
 * What a deploy or rollback carries past a freeze window, checked: overriding one is the admin's
 * call (a promote token's holder is who the freeze holds back), and it is audited.
 */
function freezeOverride(c: Context<AppEnv>, override: boolean | undefined): { request: Partial<GatedRequest>; audit: Record<string, unknown> } {
  if (override !== true) return { request: {}, audit: {} };
  const principal = c.get('principal');
  if (!grantsScope(principal.scopes, 'admin')) {
    throw new ApiError(403, 'forbidden', `override_freeze needs the admin scope; token "${principal.name}" lacks it`);
  }
  return { request: { overrideFreeze: true }, audit: { override_freeze: true } };
}

function jsonBody<Schema extends z.ZodType>(schema: Schema, required: boolean) {
  return { required, content: { 'application/json': { schema } } };
}

export function deploymentActionRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const accepted = {
    202: { description: 'accepted: the workflow takes it up (latest wins)', content: { 'application/json': { schema: acceptedBody } } },
    ...mutationErrors,
  };

  /**
   * What every accepted request answers, and records in its audit row. A request the workflow
   * answered also records its receipt there: the long poll reads it once the log drops the request.
   */
  function acceptance(c: Context<AppEnv>, environment: EnvironmentRecord, signal: SignalName | null, details: Record<string, unknown>, taken?: RequestAcceptance) {
    c.set('auditDetails', { signal, ...details, ...(taken ? { position: taken.position, first_run_id: taken.firstRunId } : {}) });
    return {
      request_id: c.get('requestId'),
      workflow_id: environmentWorkflowId(environment.project, environment.environment),
      signal,
      outcome: taken?.outcome ?? null,
      accepted_at: deps.now().toISOString(),
    };
  }

  /** What starting the environment's workflow needs, should the request find none: its effective policy, gates included. */
  const target = async (environment: EnvironmentRecord) => ({
    project: environment.project,
    environment: environment.environment,
    policy: await requireEffectivePolicy(deps, environment.project, environment.environment),
  });

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
    const body = c.req.valid('json');
    const override = freezeOverride(c, body.override_freeze);
    assertCanSealSecrets(deps, body.secrets);
    const environment = await requireEnvironment(deps.pool, project, env);
    const meta = requestMeta(c, body.reason);
    // Secrets are stored before the signal, which never carries them (Temporal's history would
    // keep them): the deploy's render reads them from the database, as every later render does.
    // The audit row and the answer get their names and fingerprints.
    const storeSecrets = async (): Promise<Record<string, unknown>> => {
      if (body.secrets === undefined) return {};
      const fingerprints = await updateEnvironmentSecrets(deps.pool, deps.payloadKeys ?? undefined, project, env, body.secrets).catch((error: unknown) => {
        throw secretWriteError(error);
      });
      const stored = { secrets: describeSecretChanges(body.secrets, fingerprints) };
      c.set('auditDetails', stored);
      return stored;
    };

    if (body.desired_status === 'stopped') {
      const sent = await requestWorkflow(deps, await target(environment), { update: stopUpdate, signal: stopSignal }, meta);
      return c.json(acceptance(c, environment, 'stop', {}, sent.acceptance), 202);
    }
    if (body.image_ref === undefined && body.desired_status === undefined) {
      // Only stored settings change; the next deployment or drift pass renders with them.
      const secretChanges = await storeSecrets();
      if (body.values_override !== undefined) await updateValuesOverride(deps.pool, project, env, body.values_override);
      return c.json(acceptance(c, environment, null, { values_override: body.values_override, ...secretChanges }), 202);
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
    const sent = await requestWorkflow(deps, await target(environment), { update: deployUpdate, signal: deploySignal }, {
      ...meta,
      ...override.request,
      imageRef,
      ...(body.values_override === undefined ? {} : { valuesOverride: body.values_override }),
    });
    const details = { image_ref: imageRef, values_override: body.values_override, ...secretChanges, ...override.audit };
    return c.json(acceptance(c, environment, 'deploy', details, sent.acceptance), 202);
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
    const body = c.req.valid('json');
    const override = freezeOverride(c, body.override_freeze);
    const environment = await requireEnvironment(deps.pool, project, env);
    const sent = await requestWorkflow(deps, await target(environment), { update: rollbackUpdate, signal: rollbackSignal }, {
      ...requestMeta(c, body.reason),
      ...override.request,
      ...(body.to_release === undefined ? {} : { toRelease: body.to_release }),
    });
    return c.json(acceptance(c, environment, 'rollback', { to_release: body.to_release ?? null, ...override.audit }, sent.acceptance), 202);
  });

  // A stop goes as an update, answering its receipt; a cancel, never superseded, as a signal.
  const sendStop = async (environment: EnvironmentRecord, meta: RequestMeta) =>
    (await requestWorkflow(deps, await target(environment), { update: stopUpdate, signal: stopSignal }, meta)).acceptance;
  const sendCancel = async (environment: EnvironmentRecord, meta: RequestMeta) => {
    await signalWorkflow(deps, await target(environment), cancelSignal, meta);
    return undefined;
  };
  for (const [name, send, summary] of [
    ['stop', sendStop, 'Scale the environment\'s workloads to 0 until the next deploy'],
    ['cancel', sendCancel, 'Abort the deployment in flight'],
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
      const body = c.req.valid('json');
      const environment = await requireEnvironment(deps.pool, project, env);
      const taken = await send(environment, requestMeta(c, body.reason));
      return c.json(acceptance(c, environment, name, {}, taken), 202);
    });
  }

  return router;
}
