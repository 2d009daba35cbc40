// Bodies of the ops repo admin routes. The URL rule depends on whether file:// is allowed, so the
// schemas are built per app.
import { z } from '@hono/zod-openapi';
import { validateBranch, validateOpsRepoUrl, validateRepoPath } from '../../git/validate.js';
import { gitRule } from '../validation/git-fields.js';
import { slug } from './common.js';

export function opsRepoSchemas(policy: { allowFileUrls: boolean }) {
  const fields = {
    name: slug('shop-ops'),
    url: z
      .string()
      .superRefine(gitRule((value) => validateOpsRepoUrl(value, policy)))
      .openapi({ example: 'https://git.example.com/platform/shop-ops.git' }),
    branch: z.string().superRefine(gitRule(validateBranch)).openapi({ example: 'main' }),
    path: z
      .string()
      .superRefine(gitRule((value) => validateRepoPath('path', value, { allowRoot: true })))
      .openapi({ description: 'sub-directory holding the environments\' files', example: 'envs' }),
    sync_interval_s: z.number().int().min(1).max(86_400),
    webhook_secret: z
      .string()
      .min(16)
      .max(256)
      .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: 'must not contain control characters' })
      .openapi({
        description: 'write-only: the secret push webhooks are signed with (POST /api/hooks/git/{name}); never returned, see webhook_secret_set',
        writeOnly: true,
        example: 'a-long-random-string-from-openssl-rand',
      }),
  };

  const create = z
    .strictObject({
      credentials: gitCredentials.optional(),
      name: fields.name,
      url: fields.url,
      branch: fields.branch.default('main'),
      path: fields.path.default('.'),
      sync_interval_s: fields.sync_interval_s.default(60),
      webhook_secret: fields.webhook_secret.optional(),
    })
    .openapi('OpsRepoCreate');

  const update = z
    .strictObject({
      name: fields.name.optional(),
      url: fields.url.optional(),
      branch: fields.branch.optional(),
      path: fields.path.optional(),
      sync_interval_s: fields.sync_interval_s.optional(),
      webhook_secret: fields.webhook_secret.nullable().optional().openapi({ description: 'write-only; null removes it, which refuses every webhook of the repo' }),
      credentials: gitCredentials.nullable().optional().openapi({ description: 'write-only; null removes them' }),
    })
    .refine((body) => Object.values(body).some((value) => value !== undefined), {
      message: 'give at least one of name, url, branch, path, sync_interval_s, webhook_secret, credentials',
    })
    .openapi('OpsRepoUpdate');

  return { create, update };
}

const noControl = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

/**
 * What git authenticates to the remote with, write-only: reads show only its kind and fingerprint.
 * Handed to git through a credential helper or GIT_SSH_COMMAND, never in a URL or on a command line.
 */
export const gitCredentials = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('https'),
      username: z.string().min(1).max(256).refine(noControl, { message: 'must not contain control characters' }).openapi({ example: 'x-access-token' }),
      token: z.string().min(1).max(4096).refine(noControl, { message: 'must not contain control characters' }).openapi({ writeOnly: true }),
    }),
    z.strictObject({
      kind: z.literal('ssh'),
      private_key: z
        .string()
        .max(16 * 1024)
        .refine((value) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value), { message: 'must be a private key in PEM or OpenSSH form (-----BEGIN … PRIVATE KEY-----)' })
        .openapi({ writeOnly: true }),
      known_hosts: z.string().max(64 * 1024).optional().openapi({ description: "the remote's host keys (known_hosts lines), checked strictly; absent: the worker's own known_hosts" }),
    }),
  ])
  .openapi('GitCredentials', {
    description: 'write-only git credentials: an HTTPS user name and token, or an SSH private key; reads show only kind and fingerprint',
  });

export const opsRepoParams = z.object({
  id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

export const opsRepo = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    branch: z.string(),
    path: z.string(),
    sync_interval_s: z.number().int(),
    last_synced_at: z.string().nullable(),
    last_sha: z.string().nullable(),
    webhook_secret_set: z.boolean().openapi({ description: 'whether push webhooks are accepted (signed with the secret set for it)' }),
    credentials: z
      .object({ kind: z.enum(['https', 'ssh']), fingerprint: z.string() })
      .nullable()
      .openapi({ description: 'the git credentials set, by kind and fingerprint; null: none (git fetches without)' }),
    environment_count: z.number().int().openapi({ description: 'environments using this repo; it cannot be deleted while positive' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('OpsRepo');

export const opsRepoList = z.object({ items: z.array(opsRepo) }).openapi('OpsRepoList');

export const syncResult = z
  .object({
    id: z.number().int(),
    sha: z.string().openapi({ description: 'the branch head commit' }),
    synced_at: z.string(),
  })
  .openapi('OpsRepoSync');
