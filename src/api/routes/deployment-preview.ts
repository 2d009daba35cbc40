// A release preview: what deploying an image (with values) would change in the cluster, per object
// and per managed field, from a dry-run apply on a worker. It changes nothing; it is audited like
// a deploy request, whose scope it needs (it renders the ops repo's templates as a deploy does).
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { DeployerClient } from '../../client/deployer-client.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { presentChangedObjects } from '../presenters.js';
import { requireEnvironment } from '../require-environment.js';
import { createRouter } from '../router.js';
import { bearerSecurity, environmentParams, errorResponse, imageRef, mutationErrors, requestIdHeaders, valuesOverride } from '../schemas/common.js';
import { changedObjects } from '../schemas/deployments.js';

const previewBody = z.strictObject({
  image_ref: imageRef,
  values_override: valuesOverride.optional().openapi({ description: "merged over the environment's values for this release only, as a deploy's" }),
});

const previewAnswer = z
  .object({
    image_ref: z.string(),
    ops_sha: z.string().openapi({ description: "the ops repo commit rendered: the branch head, as a deploy now would (the poller's if it fetched within its interval)" }),
    manifest_hash: z.string(),
    summary: z.object({ created: z.number(), configured: z.number(), unchanged: z.number(), pruned: z.number() }),
    omitted_field_changes: z.number().openapi({ description: 'field changes left out past 2,000 in all (the objects are all listed)' }),
    objects: changedObjects,
  })
  .openapi('ReleasePreview');

/** What the worker said went wrong: the activity's own failure (a template error, a policy refusal…). */
function previewFailure(error: unknown): ApiError {
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && !(cause instanceof TimeoutFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof TimeoutFailure) return new ApiError(504, 'preview_timeout', 'no worker answered the preview in time: is a worker running on the task queue?');
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(422, 'preview_failed', `${type}: ${message}`, { details: { type } });
}

export function deploymentPreviewRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const preview = createRoute({
    method: 'post',
    path: '/{project}/deployments/{env}/preview',
    tags: ['deployments'],
    summary: 'What deploying an image would change: per object created / configured / unchanged / pruned, with the managed fields that change (dry run, changes nothing)',
    security: bearerSecurity,
    middleware: guards.mutation('deploy:promote', 'deployment.preview'),
    request: { params: environmentParams, headers: requestIdHeaders, body: { required: true, content: { 'application/json': { schema: previewBody } } } },
    responses: {
      200: { description: 'the preview', content: { 'application/json': { schema: previewAnswer } } },
      ...mutationErrors,
      422: errorResponse('the render or the dry-run apply failed: the message says where (file and line for a template error)'),
      504: errorResponse('no worker answered in time'),
    },
  });
  router.openapi(preview, async (c) => {
    const { project, env } = c.req.valid('param');
    const body = c.req.valid('json');
    await requireEnvironment(deps.pool, project, env);
    const client = new DeployerClient({ client: deps.temporalClient, taskQueue: deps.taskQueue });
    const answer = await client
      .preview({ project, environment: env, imageRef: body.image_ref, valuesOverride: body.values_override, requestedBy: c.get('principal').name, timeoutMs: 90_000 })
      .catch((error: unknown) => {
        throw error instanceof WorkflowFailedError ? previewFailure(error) : error;
      });
    c.set('auditDetails', { image_ref: body.image_ref, ops_sha: answer.opsSha, summary: answer.summary });
    return c.json(
      {
        image_ref: answer.imageRef,
        ops_sha: answer.opsSha,
        manifest_hash: answer.manifestHash,
        summary: answer.summary,
        omitted_field_changes: answer.omittedFieldChanges ?? 0,
        objects: presentChangedObjects(answer.objects),
      },
      200,
    );
  });
  return router;
}
