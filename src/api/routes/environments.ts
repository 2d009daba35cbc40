// Registering an environment: which ops repo and template it deploys from, into which namespace,
// under which policy. Registration must precede the first deploy. A running workflow of the
// environment is sent its new policy at once.
import { createRoute } from '@hono/zod-openapi';
import { OpsRepoNotFound, saveEnvironment } from '../../db/environment-settings.js';
import { validateRepoPath } from '../../git/validate.js';
import type { ResolvedApiDeps } from '../deps.js';
import { NamespaceClaimConflict } from '../../db/tenancy.js';
import { conflict, invalidRequest } from '../errors.js';
import type { Guards } from '../middleware/guards.js';
import { policyFromApi } from '../policy.js';
import { assertCanSealSecrets, secretWriteError } from '../secret-writes.js';
import { describeSecretChanges } from '../../domain/secrets.js';
import { presentEnvironment } from '../presenters.js';
import { pushPolicy } from '../push-policy.js';
import { requireEffectivePolicy, requireEnvironment } from '../require-environment.js';
import { createRouter } from '../router.js';
import { bearerSecurity, environmentParams, mutationErrors, requestIdHeaders } from '../schemas/common.js';
import { environmentRegistration } from '../schemas/deployments.js';
import { environmentBody } from '../schemas/environments.js';

export function environmentRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const registered = { content: { 'application/json': { schema: environmentRegistration } } };

  const register = createRoute({
    method: 'put',
    path: '/{project}/environments/{env}',
    tags: ['environments'],
    summary: 'Register or replace an environment (creates the project when missing)',
    security: bearerSecurity,
    middleware: guards.mutation('admin', 'environment.register'),
    request: {
      params: environmentParams,
      headers: requestIdHeaders,
      body: { required: true, content: { 'application/json': { schema: environmentBody } } },
    },
    responses: {
      200: { description: 'replaced', ...registered },
      201: { description: 'created', ...registered },
      ...mutationErrors,
    },
  });
  router.openapi(register, async (c) => {
    const { project, env } = c.req.valid('param');
    const body = c.req.valid('json');
    const opsRepo = typeof body.ops_repo === 'number' ? { id: body.ops_repo } : { name: body.ops_repo };
    assertCanSealSecrets(deps, body.secrets);
    let created: boolean;
    let fingerprints: Record<string, string>;
    try {
      ({ created, fingerprints } = await saveEnvironment(deps.pool, {
        project,
        environment: env,
        opsRepo,
        manifestPath: validateRepoPath('manifest_path', body.manifest_path, { allowRoot: false }),
        namespace: body.namespace,
        policy: policyFromApi(body.policy ?? {}),
        valuesOverride: body.values_override ?? {},
        shareNamespace: body.share_namespace ?? false,
        impersonate: body.impersonate && { name: body.impersonate.service_account, namespace: body.impersonate.namespace },
        secrets: body.secrets,
      }, deps.payloadKeys ?? undefined));
    } catch (error) {
      if (error instanceof OpsRepoNotFound) {
        throw invalidRequest([{ field: 'ops_repo', message: `ops_repo: ${error.message}; create it with POST /api/admin/ops-repos` }]);
      }
      if (error instanceof NamespaceClaimConflict) {
        throw conflict('namespace_claimed', `namespace: ${error.message}`, [{ field: 'namespace', message: `namespace: ${error.message}`, owner: error.owner }]);
      }
      throw secretWriteError(error);
    }
    c.set('auditDetails', {
      created,
      ops_repo: body.ops_repo,
      manifest_path: body.manifest_path,
      namespace: body.namespace,
      share_namespace: body.share_namespace ?? false,
      impersonate: body.impersonate ?? null,
      // Names and fingerprints only: the audit trail never holds a secret.
      ...(body.secrets === undefined ? {} : { secrets: describeSecretChanges(body.secrets, fingerprints) }),
    });
    await pushPolicy(deps, project, env);
    const record = await requireEnvironment(deps.pool, project, env);
    const presented = presentEnvironment(record, await requireEffectivePolicy(deps, project, env));
    return created ? c.json(presented, 201) : c.json(presented, 200);
  });

  return router;
}
