// Push webhooks from GitHub, Gitea and GitLab: a push to an ops repo's branch makes its poller fetch
// the branch at once, instead of at the end of its interval. No token: the signature made with the
// repo's webhook secret is what proves the git host sent it. The request says nothing more than
// "poll now"; what changed is read from git itself, so a forged or replayed push could at most
// cause one extra fetch.
import { webhookSecretFrom } from '../../crypto/webhook-secret.js';
import { createRoute } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { bodyLimit } from 'hono/body-limit';
import type { MiddlewareHandler } from 'hono';
import { pollOpsRepoNow } from '../../client/ops-repo-poller.js';
import { findWebhookTarget } from '../../db/ops-repo-webhook.js';
import type { AppEnv } from '../app-env.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError, notFound } from '../errors.js';
import { auditMutation } from '../middleware/audit.js';
import { REQUEST_ID_PATTERN } from '../request-id.js';
import { createRouter } from '../router.js';
import { errorBody } from '../schemas/common.js';
import { gitWebhookAnswer, gitWebhookHeaders, gitWebhookParams, pushPayloadDocument } from '../schemas/git-webhooks.js';
import { decidePush, readPushEvent } from '../webhooks/push-event.js';
import { verifyPushSignature } from '../webhooks/push-signature.js';

// GitHub and GitLab list at most 20 commits in a push payload; this leaves ample room.
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const limitWebhookBody: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_WEBHOOK_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', `webhook body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  },
});

/** The delivery id the git host sent, as the request id of the audit row when it is well-formed. */
const deliveryRequestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const delivery = ['X-GitHub-Delivery', 'X-Gitea-Delivery', 'X-Gitlab-Event-UUID'].map((name) => c.req.header(name)).find((value) => value !== undefined);
  const requestId = delivery !== undefined && REQUEST_ID_PATTERN.test(delivery) ? delivery : randomUUID();
  c.set('requestId', requestId);
  c.header('X-Request-Id', requestId);
  await next();
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorBody } } });

export function gitWebhookRoutes(deps: ResolvedApiDeps) {
  const router = createRouter();

  const push = createRoute({
    method: 'post',
    path: '/{repo}',
    tags: ['webhooks'],
    summary: 'A push to an ops repository (GitHub, Gitea, GitLab): its poller fetches the branch now',
    description:
      'Signed with the ops repo\'s webhook secret: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` (GitHub, Gitea), ' +
      '`X-Gitea-Signature: <hex>` (Gitea) or `X-Gitlab-Token: <secret>` (GitLab). No bearer token. Set the secret with ' +
      '`PATCH /api/admin/ops-repos/{id}` `{"webhook_secret": "…"}` or `deployer ops-repo add … --webhook-secret-file FILE`.',
    middleware: [deliveryRequestId, auditMutation(deps, 'ops_repo.webhook'), limitWebhookBody],
    request: {
      params: gitWebhookParams,
      headers: gitWebhookHeaders,
      body: { required: true, content: { 'application/json': { schema: pushPayloadDocument } } },
    },
    responses: {
      202: { description: 'accepted (the poller polls now) or ignored (not a push to the branch)', content: { 'application/json': { schema: gitWebhookAnswer } } },
      400: errorResponse('the body is not JSON'),
      401: errorResponse('the signature is missing or does not match'),
      403: errorResponse('the ops repo has no webhook secret; the message says how to set one'),
      404: errorResponse('no ops repo of that name'),
      413: errorResponse('body larger than 1 MiB'),
      503: errorResponse('Temporal could not be reached, or the stored secret is sealed and this server lacks the keys; the git host retries or the next poll catches up'),
    },
  });

  router.openapi(push, async (c) => {
    const { repo } = c.req.valid('param');
    const target = await findWebhookTarget(deps.pool, repo);
    if (!target) throw notFound(`no ops repo named "${repo}"`);
    if (target.secret === null) {
      throw new ApiError(
        403,
        'webhook_not_configured',
        `ops repo "${repo}" has no webhook secret, so no push can be verified: set one with ` +
          `PATCH /api/admin/ops-repos/${target.id} {"webhook_secret": "<16-256 characters>"} or ` +
          `\`deployer ops-repo add --name ${repo} --url … --webhook-secret-file FILE\`, and give the git host the same secret`,
      );
    }
    let secret: string;
    try {
      secret = webhookSecretFrom(target.secret, deps.payloadKeys ?? undefined);
    } catch (error) {
      throw new ApiError(503, 'webhook_secret_unreadable', `ops repo "${repo}": ${(error as Error).message}; the git host retries, give the API the keys the secret was written with`);
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const signature = verifyPushSignature((name) => c.req.header(name), body, secret);
    if (!signature.ok) throw new ApiError(401, 'invalid_signature', signature.problem);

    // Verified: from here on the git host is the actor, and the call is audited.
    c.set('auditActor', `webhook:${repo}`);
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new ApiError(400, 'malformed_json', 'body: the push payload is not JSON (configure the webhook with content type application/json)');
    }
    const event = readPushEvent((name) => c.req.header(name), payload);
    const decision = decidePush(event, target.branch);
    const recorded = { ops_repo_id: target.id, host: event.host, event: event.event, ref: event.ref, after: event.after, delivery: event.delivery, verified_by: signature.header };
    if (!decision.poll) {
      c.set('auditDetails', { ...recorded, result: 'ignored', reason: decision.ignored });
      return c.json({ status: 'ignored' as const, repo, reason: decision.ignored }, 202);
    }
    let poller: string;
    try {
      poller = (await pollOpsRepoNow(deps.temporalClient, { url: target.url, branch: target.branch, taskQueue: deps.taskQueue }, decision.reason)).workflowId;
    } catch (error) {
      deps.logger.error({ err: error, repo }, 'signalling the ops repo poller failed');
      throw new ApiError(503, 'poller_unavailable', `could not reach the poller of "${repo}"; the git host's redelivery or the next poll catches up`);
    }
    c.set('auditDetails', { ...recorded, result: 'accepted', reason: decision.reason, poller });
    return c.json({ status: 'accepted' as const, repo, reason: decision.reason, poller }, 202);
  });

  return router;
}
