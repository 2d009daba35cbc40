// Request and response bodies of the deployment routes.
import { z } from '@hono/zod-openapi';
import { REQUEST_ID_PATTERN, REQUEST_ID_RULE } from '../../domain/request-rules.js';
import { environmentParams, imageRef, reason, secrets, valuesOverride } from './common.js';
import { effectivePolicyState } from './environments.js';

const overrideFreeze = z.boolean().optional().openapi({
  description: 'let this deploy or rollback through a freeze window: needs the admin scope and a reason, both kept in the audit log',
});

/** A freeze is overridden on the record: the reason says why. */
function requireReasonToOverride(body: { override_freeze?: boolean; reason?: string }, ctx: z.RefinementCtx) {
  if (body.override_freeze === true && body.reason === undefined) {
    ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required with override_freeze: say why the freeze is overridden (the history and the audit keep it)' });
  }
}

export const patchDeploymentBody = z
  .strictObject({
    image_ref: imageRef.optional(),
    desired_status: z.enum(['running', 'stopped']).optional().openapi({
      description: '"stopped" scales the workloads to 0; "running" resumes (with image_ref, or the desired image)',
    }),
    values_override: valuesOverride.optional().openapi({
      description: 'with image_ref: for that release only; alone: replaces the environment\'s stored override',
    }),
    secrets: secrets.optional().openapi({
      description: "write-only: set (a value) or delete (null) the environment's secrets before this deploy; alone: only stores them",
    }),
    reason: reason.optional(),
    override_freeze: overrideFreeze,
  })
  .superRefine((body, ctx) => {
    requireReasonToOverride(body, ctx);
    // A freeze holds deploys; a stop or a stored setting never waits for one.
    if (body.override_freeze === true && (body.desired_status === 'stopped' || (body.image_ref === undefined && body.desired_status === undefined))) {
      ctx.addIssue({ code: 'custom', path: ['override_freeze'], message: 'applies to a deploy only: give image_ref or desired_status "running"' });
    }
    if (body.image_ref === undefined && body.desired_status === undefined && body.values_override === undefined && body.secrets === undefined) {
      ctx.addIssue({ code: 'custom', path: ['image_ref'], message: 'give image_ref, desired_status, values_override or secrets' });
    }
    if (body.desired_status === 'stopped' && body.image_ref !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['desired_status'], message: '"stopped" cannot be combined with image_ref (a deploy resumes)' });
    }
    if (body.desired_status === 'stopped' && body.values_override !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['values_override'], message: 'cannot be combined with desired_status "stopped"' });
    }
    if (body.desired_status === 'stopped' && body.secrets !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secrets'], message: 'cannot be combined with desired_status "stopped"' });
    }
  })
  .openapi('DeploymentPatch');

export const rollbackBody = z
  .strictObject({
    to_release: z.number().int().positive().optional().openapi({ description: 'release sequence number; default: the last healthy before the current' }),
    reason: reason.optional(),
    override_freeze: overrideFreeze,
  })
  .superRefine(requireReasonToOverride)
  .openapi('RollbackRequest');

export const approvalBody = z
  .strictObject({
    request_id: z
      .string()
      .regex(REQUEST_ID_PATTERN, { message: REQUEST_ID_RULE })
      .openapi({ description: 'the request waiting for approval: the request_id its deploy or rollback answered', example: 'build-42' }),
    reason: reason.optional(),
  })
  .openapi('ApprovalRequest');

export const approvalAnswer = z
  .object({
    request_id: z.string(),
    decision: z.enum(['approved', 'rejected']),
    decided_at: z.string().openapi({ description: 'when the workflow took the decision (ISO 8601)', example: '2026-12-07T09:30:00.000Z' }),
  })
  .openapi('ApprovalAnswer');

export const reasonBody = z.strictObject({ reason: reason.optional() }).openapi('ActionRequest');

export const historyQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ param: { name: 'limit', in: 'query' }, example: 20 }),
  before: z.coerce.number().int().positive().optional().openapi({
    param: { name: 'before', in: 'query' },
    description: 'only rows with a smaller id: the next_before of the previous page',
  }),
});

const deploymentState = z
  .object({
    desired_image: z.string().nullable(),
    desired_status: z.string(),
    current_status: z.string(),
    current_image: z.string().nullable(),
    current_sha: z.string().nullable(),
    manifest_hash: z.string().nullable(),
    deployed_at: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi('DeploymentState');

const fieldChange = z
  .object({
    path: z.string().openapi({ example: 'spec.template.spec.containers[name=web].image' }),
    before: z.unknown().optional().openapi({ description: 'absent when the apply adds the field' }),
    after: z.unknown().optional().openapi({ description: 'absent when the apply removes the field' }),
  })
  .openapi('FieldChange');

/** What an apply did, or a preview's dry run would do, object by object: one shape for both. */
export const changedObjects = z.array(
  z
    .object({
      api_version: z.string(),
      kind: z.string(),
      name: z.string(),
      namespace: z.string().nullable(),
      action: z.enum(['created', 'configured', 'unchanged', 'pruned']),
      diff: z.array(fieldChange).openapi({ description: 'the fields the environment manages that the apply changes; Secret values and template secrets hidden' }),
    })
    .openapi('ChangedObject'),
);

const releaseChanges = z
  .object({
    objects: changedObjects,
    omitted_field_changes: z.number().int().openapi({ description: 'field changes left out past 2,000 in all (the objects are all listed)' }),
  })
  .openapi('ReleaseChanges');

const approval = z
  .object({
    decision: z.enum(['approved', 'rejected', 'expired']),
    by: z.string().nullable().openapi({ description: 'who approved or rejected; null when the request expired' }),
    at: z.string(),
    reason: z.string().nullable(),
  })
  .openapi('ApprovalDecision');

export const historyItem = z
  .object({
    id: z.number().int(),
    action: z.string(),
    status: z.string(),
    image_ref: z.string().nullable(),
    sha: z.string().nullable(),
    manifest_hash: z.string().nullable(),
    values_override: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    error_type: z.string().nullable(),
    request_id: z.string().nullable(),
    requested_by: z.string().nullable(),
    reason: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    approval: approval.nullable().openapi({ description: 'the decision on a request that waited for approval; null when it did not wait' }),
    changes: releaseChanges.nullable().openapi({
      description: "what a release's apply did, per object and managed field; null for other rows and for releases recorded before changes were kept",
    }),
  })
  .openapi('HistoryItem');

export const deploymentList = z
  .object({
    project: z.string(),
    environments: z.array(
      z.object({
        environment: z.string(),
        namespace: z.string(),
        ops_repo: z.string(),
        manifest_path: z.string(),
        deployment: deploymentState.nullable().openapi({ description: 'null until the workflow first recorded its state' }),
      }),
    ),
  })
  .openapi('DeploymentList');

export const liveWorkflow = z
  .object({
    workflow_id: z.string(),
    run_id: z.string().nullable(),
    status: z.string().openapi({ example: 'RUNNING' }),
    state: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'the answer to the workflow\'s `state` query' }),
    state_error: z.string().nullable().openapi({ description: 'why state is null' }),
    waiting_on: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'set while a step waits for an unreachable dependency (Postgres, Kubernetes, git), naming it and since when' }),
    rollout: z
      .array(
        z.object({
          ref: z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string().optional() }),
          desired: z.number().int(),
          updated: z.number().int(),
          ready: z.number().int(),
          available: z.number().int(),
          done: z.boolean(),
          message: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: "while the health step runs: each workload's replicas desired, updated and ready, as the rollout last reported them" }),
  })
  .openapi('LiveWorkflow');

export const environmentRegistration = z
  .object({
    project: z.string(),
    environment: z.string(),
    namespace: z.string(),
    cluster: z.string(),
    manifest_path: z.string(),
    ops_repo: z.object({ id: z.number().int(), name: z.string(), url: z.string(), branch: z.string(), path: z.string() }),
    policy: effectivePolicyState.openapi({ description: "the effective policy: the environment's settings over the defaults, its freeze windows then its project's" }),
    values_override: z.record(z.string(), z.unknown()),
    share_namespace: z.boolean(),
    impersonate: z.object({ service_account: z.string(), namespace: z.string() }).nullable(),
    secrets: z
      .record(z.string(), z.object({ fingerprint: z.string() }))
      .openapi({ description: 'the stored secrets by name, each with its fingerprint (keyed HMAC, changes with the value); values are never returned' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('EnvironmentRegistration');

export const deploymentDetail = z
  .object({
    registration: environmentRegistration,
    deployment: deploymentState.nullable(),
    workflow: liveWorkflow.nullable().openapi({ description: 'null when no workflow was started for the environment yet' }),
    history: z.array(historyItem).openapi({ description: 'the 20 most recent rows, newest first' }),
  })
  .openapi('DeploymentDetail');

export const historyPage = z
  .object({
    items: z.array(historyItem),
    next_before: z.number().int().nullable().openapi({ description: 'pass as `before` for the next page; null on the last page' }),
  })
  .openapi('HistoryPage');

export const requestParams = environmentParams.extend({
  request_id: z
    .string()
    .regex(REQUEST_ID_PATTERN, { message: REQUEST_ID_RULE })
    .openapi({ param: { name: 'request_id', in: 'path' }, example: 'build-42', description: 'the request_id a mutation answered (its Idempotency-Key)' }),
});

/** Longest a request may be waited for in one call; a client waiting longer calls again. */
export const MAX_REQUEST_WAIT_S = 60;

export const requestQuery = z.strictObject({
  wait_s: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_REQUEST_WAIT_S)
    .default(0)
    .openapi({ param: { name: 'wait_s', in: 'query' }, example: 20, description: `answer as soon as the request has its final outcome, or after this many seconds (0-${MAX_REQUEST_WAIT_S}) with where it stands` }),
});

export const requestOutcome = z
  .object({
    request_id: z.string(),
    outcome: z.string().openapi({
      description:
        "pending, running; final: healthy, failed, cancelled, superseded, stopped, ignored, forgotten (taken, but older than what the workflow remembers and without a history row: an ignored stop or cancel); unknown: neither the workflow nor the history has word of it (not arrived yet, or no workflow). A deploy whose receipt the API recorded is known superseded at once, however many requests came after it",
    }),
    final: z.boolean(),
    detail: z.string().nullable(),
    release: z
      .object({
        seq: z.number().nullable().openapi({ description: "null when only the history tells of the release (the workflow's recent releases no longer list it)" }),
        image_ref: z.string(),
        ops_sha: z.string().nullable(),
        status: z.string(),
        error: z.string().nullable(),
      })
      .nullable(),
    waiting_for: z.string().nullable().openapi({ description: 'what the workflow waits for now, in words' }),
    step: z.string().nullable().openapi({ description: 'the step of the deployment in flight, if any' }),
    workflow_status: z.string().openapi({ description: 'RUNNING, COMPLETED, FAILED, TERMINATED, …, or NONE' }),
  })
  .openapi('RequestOutcome');
