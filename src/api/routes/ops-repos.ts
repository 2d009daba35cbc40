// Administration of ops repositories: the git repos environments render their manifests from.
import { createRoute } from '@hono/zod-openapi';
import {
  OpsRepoInUse,
  OpsRepoNameTaken,
  createOpsRepo,
  deleteOpsRepo,
  findOpsRepoRecord,
  listOpsRepoRecords,
  updateOpsRepo,
} from '../../db/ops-repo-admin.js';
import { SyncNotAnswered, syncOpsRepoNow } from '../../client/ops-repo-poller.js';
import { validateOpsRepoSource, validateRepoPath } from '../../git/validate.js';
import type { ResolvedApiDeps } from '../deps.js';
import { ApiError, conflict, notFound } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { presentOpsRepo } from '../presenters.js';
import { createRouter } from '../router.js';
import { wakeOpsRepoPoller } from '../wake-ops-repo-poller.js';
import { bearerSecurity, errorBody, mutationErrors, readErrors, requestIdHeaders } from '../schemas/common.js';
import { gitCredentials, opsRepo, opsRepoList, opsRepoParams, opsRepoSchemas, syncResult } from '../schemas/ops-repos.js';
import type { z } from '@hono/zod-openapi';
import type { OpsRepoRecord } from '../../db/ops-repo-admin.js';
import type { GitCredentials } from '../../domain/git-credentials.js';
import { assertCanSealSecrets, secretWriteError } from '../secret-writes.js';
import { DeployerError } from '../../domain/errors.js';

type CredentialsBody = z.infer<typeof gitCredentials>;

function credentialsFromApi(body: CredentialsBody): GitCredentials {
  return body.kind === 'https'
    ? { kind: 'https', username: body.username, token: body.token }
    : { kind: 'ssh', privateKey: body.private_key, ...(body.known_hosts === undefined ? {} : { knownHosts: body.known_hosts }) };
}

/** What the audit row says of written credentials: their kind and fingerprint once stored, never a part of them. */
function credentialsChange(body: CredentialsBody | null | undefined, row: { credentials: OpsRepoRecord['credentials'] } | undefined): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null) return { credentials: 'removed' };
  return { credentials: row?.credentials ? `set (${row.credentials.kind}, ${row.credentials.fingerprint})` : `set (${body.kind})` };
}

/** Stored paths are normalised; the repository root is spelled "." as the schema's default. */
function normalisedPath(path: string): string {
  return validateRepoPath('path', path, { allowRoot: true }) || '.';
}

function rethrowKnown(error: unknown): never {
  const secretError = secretWriteError(error);
  if (secretError !== error) throw secretError;
  if (error instanceof OpsRepoNameTaken) {
    throw conflict('name_taken', `name: ${error.message}`, [{ field: 'name', message: `name: ${error.message}` }]);
  }
  if (error instanceof OpsRepoInUse) throw conflict('ops_repo_in_use', error.message, { environments: error.environments });
  throw error;
}

export function opsRepoRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const schemas = opsRepoSchemas({ allowFileUrls: deps.allowFileUrls });
  const json = <S>(schema: S) => ({ content: { 'application/json': { schema } } });
  const base = { tags: ['ops-repos'], security: bearerSecurity };

  router.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/',
      summary: 'List ops repos',
      middleware: guards.read('admin'),
      responses: { 200: { description: 'all ops repos', ...json(opsRepoList) }, ...readErrors },
    }),
    async (c) => c.json({ items: (await listOpsRepoRecords(deps.pool)).map(presentOpsRepo) }, 200),
  );

  const create = createRoute({
    ...base,
    method: 'post',
    path: '/',
    summary: 'Create an ops repo',
    middleware: guards.mutation('admin', 'ops_repo.create'),
    request: { headers: requestIdHeaders, body: { required: true, ...json(schemas.create) } },
    responses: { 201: { description: 'created', ...json(opsRepo) }, ...mutationErrors },
  });
  router.openapi(create, async (c) => {
    const body = c.req.valid('json');
    assertCanSealSecrets(deps, body.credentials ? { credentials: 'given' } : undefined, 'credentials');
    const row = await createOpsRepo(
      deps.pool,
      {
        name: body.name,
        url: body.url,
        branch: body.branch,
        path: normalisedPath(body.path),
        syncIntervalS: body.sync_interval_s,
        webhookSecret: body.webhook_secret,
        credentials: body.credentials && credentialsFromApi(body.credentials),
      },
      deps.payloadKeys ?? undefined,
    ).catch(rethrowKnown);
    const poller = await wakeOpsRepoPoller(deps, row, 'created');
    c.set('auditDetails', {
      ops_repo_id: row.id,
      name: row.name,
      url: row.url,
      branch: row.branch,
      path: row.path,
      webhook_secret_set: row.webhookSecretSet,
      ...credentialsChange(body.credentials, row),
      poller,
    });
    return c.json(presentOpsRepo(row), 201);
  });

  router.openapi(
    createRoute({
      ...base,
      method: 'get',
      path: '/{id}',
      summary: 'One ops repo',
      middleware: guards.read('admin'),
      request: { params: opsRepoParams },
      responses: { 200: { description: 'the ops repo', ...json(opsRepo) }, ...readErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await findOpsRepoRecord(deps.pool, id);
      if (!row) throw notFound(`no ops repo with id ${id}`);
      return c.json(presentOpsRepo(row), 200);
    },
  );

  const update = createRoute({
    ...base,
    method: 'patch',
    path: '/{id}',
    summary: 'Change an ops repo (environments using it follow at their next deployment)',
    middleware: guards.mutation('admin', 'ops_repo.update'),
    request: { params: opsRepoParams, headers: requestIdHeaders, body: { required: true, ...json(schemas.update) } },
    responses: { 200: { description: 'updated', ...json(opsRepo) }, ...mutationErrors },
  });
  router.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    // Secrets are write-only: the audit row says what became of them, never what they are.
    const { webhook_secret: secret, credentials, ...changes } = body;
    assertCanSealSecrets(deps, credentials ? { credentials: 'given' } : undefined, 'credentials');
    const secretChange = secret === undefined ? {} : { webhook_secret: secret === null ? 'removed' : 'set' };
    c.set('auditDetails', { ops_repo_id: id, changes: { ...changes, ...secretChange, ...credentialsChange(credentials, undefined) } });
    const row = await updateOpsRepo(
      deps.pool,
      id,
      {
        name: body.name,
        url: body.url,
        branch: body.branch,
        path: body.path === undefined ? undefined : normalisedPath(body.path),
        syncIntervalS: body.sync_interval_s,
        webhookSecret: secret,
        credentials: credentials && credentialsFromApi(credentials),
      },
      deps.payloadKeys ?? undefined,
    ).catch(rethrowKnown);
    if (!row) throw notFound(`no ops repo with id ${id}`);
    // A changed URL or branch has a poller of its own; the old one ends at its next poll.
    const poller = await wakeOpsRepoPoller(deps, row, 'updated');
    c.set('auditDetails', { ops_repo_id: id, changes: { ...changes, ...secretChange, ...credentialsChange(credentials, row) }, poller });
    return c.json(presentOpsRepo(row), 200);
  });

  const remove = createRoute({
    ...base,
    method: 'delete',
    path: '/{id}',
    summary: 'Delete an ops repo no environment uses',
    middleware: guards.mutation('admin', 'ops_repo.delete'),
    request: { params: opsRepoParams, headers: requestIdHeaders },
    responses: { 204: { description: 'deleted' }, ...mutationErrors },
  });
  router.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    c.set('auditDetails', { ops_repo_id: id });
    const deleted = await deleteOpsRepo(deps.pool, id).catch(rethrowKnown);
    if (!deleted) throw notFound(`no ops repo with id ${id}`);
    return c.body(null, 204);
  });

  const sync = createRoute({
    ...base,
    method: 'post',
    path: '/{id}/sync',
    summary: "Fetch the branch now (the worker's poller of the branch does) and record its head commit",
    middleware: guards.mutation('admin', 'ops_repo.sync'),
    request: { params: opsRepoParams, headers: requestIdHeaders },
    responses: {
      200: { description: 'synced', ...json(syncResult) },
      ...mutationErrors,
      422: { description: 'git refused: the branch does not exist', ...json(errorBody) },
      502: { description: 'git could not fetch from the repository', ...json(errorBody) },
      503: { description: 'no worker took the sync in time (none runs on the task queue), or Temporal could not be reached', ...json(errorBody) },
      504: { description: 'a worker took the sync but its fetch did not finish in time; it records the head when it does', ...json(errorBody) },
    },
  });
  router.openapi(sync, async (c) => {
    const { id } = c.req.valid('param');
    c.set('auditDetails', { ops_repo_id: id });
    const row = await findOpsRepoRecord(deps.pool, id);
    if (!row) throw notFound(`no ops repo with id ${id}`);
    c.set('auditDetails', { ops_repo_id: id, url: row.url, branch: row.branch });
    try {
      // Repos registered by other means are checked against this server's URL policy too.
      validateOpsRepoSource({ url: row.url, branch: row.branch, path: row.path }, { allowFileUrls: deps.allowFileUrls });
    } catch (error) {
      if (error instanceof DeployerError) throw conflict('invalid_ops_repo', error.message);
      throw error;
    }
    const outcome = await syncOpsRepoNow(
      deps.temporalClient,
      { url: row.url, branch: row.branch, taskQueue: deps.taskQueue },
      `sync of ${row.name} asked by ${c.get('principal').name}`,
      { timeoutMs: deps.opsRepoSyncTimeoutMs },
    ).catch((error: unknown) => {
      c.set('auditOutcome', 'failed');
      if (error instanceof SyncNotAnswered) {
        throw error.reason === 'no_worker' ? new ApiError(503, 'no_worker', error.message) : new ApiError(504, 'sync_timeout', error.message);
      }
      deps.logger.error({ err: error, ops_repo_id: id }, 'asking the poller of the ops repo to sync failed');
      throw new ApiError(503, 'workflow_unavailable', `could not reach the poller of ${row.branch} in ${row.url} through Temporal; try again`);
    });
    if (!outcome.ok) {
      c.set('auditOutcome', 'failed');
      // Non-retryable failures are the repo's fault (no such branch); the rest is the remote's.
      if (!outcome.retryable) throw new ApiError(422, 'sync_failed', outcome.error);
      throw new ApiError(502, 'sync_failed', `git could not fetch ${row.url}: ${outcome.error}`);
    }
    // The poll recorded the head on every row sharing the branch, with the database's clock.
    const synced = await findOpsRepoRecord(deps.pool, id);
    c.set('auditDetails', { ops_repo_id: id, url: row.url, branch: row.branch, sha: outcome.sha });
    return c.json({ id, sha: outcome.sha, synced_at: (synced?.lastSyncedAt ?? new Date(outcome.polledAt)).toISOString() }, 200);
  });

  return router;
}
