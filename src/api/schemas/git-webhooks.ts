// The push webhook's parameters and answers. Its body is read raw (the signature covers the exact
// bytes), so it is documented here but not validated by a schema.
import { z } from '@hono/zod-openapi';
import { slug } from './common.js';

export const gitWebhookParams = z.object({
  repo: slug('shop-ops').openapi({ param: { name: 'repo', in: 'path' }, description: "the ops repo's name" }),
});

export const gitWebhookHeaders = z.object({
  'x-hub-signature-256': z.string().optional().openapi({
    param: { name: 'x-hub-signature-256', in: 'header' },
    description: 'GitHub (and Gitea): "sha256=" and the hex HMAC-SHA256 of the raw body under the webhook secret',
    example: 'sha256=3f2a9c1e…',
  }),
  'x-gitea-signature': z.string().optional().openapi({ param: { name: 'x-gitea-signature', in: 'header' }, description: 'Gitea: the hex HMAC-SHA256 of the raw body' }),
  'x-gitlab-token': z.string().optional().openapi({ param: { name: 'x-gitlab-token', in: 'header' }, description: 'GitLab: the webhook secret itself' }),
});

/** A push as GitHub, Gitea and GitLab send it; only these fields are read. */
export const pushPayloadDocument = {
  type: 'object' as const,
  required: ['ref'],
  properties: {
    ref: { type: 'string' as const, example: 'refs/heads/main', description: 'only pushes to the ops repo\'s branch make it poll' },
    after: { type: 'string' as const, example: '3f2a9c1e4b…', description: 'the new head, for the record (the poller fetches the branch itself)' },
  },
  additionalProperties: true,
};

export const gitWebhookAnswer = z
  .object({
    status: z.enum(['accepted', 'ignored']).openapi({ description: 'accepted: the poller fetches the branch now; ignored: not a push to the branch' }),
    repo: z.string(),
    reason: z.string().openapi({ example: 'github push to main (3f2a9c1e) by alice' }),
    poller: z.string().optional().openapi({ description: "the poller's workflow id", example: 'ops-repo/9b1d0c7e5a2f4e61' }),
  })
  .openapi('GitWebhookAnswer');
