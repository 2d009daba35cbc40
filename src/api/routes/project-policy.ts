// A project's policy: which namespaces and kinds its environments may touch, and the freeze windows
// all of them keep. Admins set it; every deploy and drift pass of the project's environments is
// checked against it before applying.
import { createRoute, z } from '@hono/zod-openapi';
import { loadProjectPolicy, saveProjectPolicy } from '../../db/tenancy.js';
import { projectPolicyFromApi, projectPolicyToApi } from '../../domain/project-policy-names.js';
import type { ResolvedApiDeps } from '../deps.js';
import type { Guards } from '../middleware/guards.js';
import { pushPolicy } from '../push-policy.js';
import { createRouter } from '../router.js';
import { bearerSecurity, mutationErrors, projectParams, readErrors, requestIdHeaders } from '../schemas/common.js';
import { projectPolicyBody } from '../schemas/environments.js';
import { freezeWindowState } from '../schemas/freeze-windows.js';

const projectPolicy = z
  .object({
    project: z.string(),
    allowed_namespaces: z.array(z.string()).nullable().openapi({ description: "null: each environment's own namespace only" }),
    allowed_cluster_kinds: z.array(z.string()),
    denied_namespaced_kinds: z.array(z.string()),
    allow_cluster_rbac: z.boolean(),
    freeze_windows: z.array(freezeWindowState).openapi({ description: "when deploys wait in every environment of the project, after each environment's own windows" }),
  })
  .openapi('ProjectPolicyState');

export function projectPolicyRoutes(deps: ResolvedApiDeps, guards: Guards) {
  const router = createRouter();
  const answer = { content: { 'application/json': { schema: projectPolicy } } };

  const read = createRoute({
    method: 'get',
    path: '/{project}/policy',
    tags: ['projects'],
    summary: "The project's policy, defaults spelled out",
    security: bearerSecurity,
    middleware: guards.read('deploy:read'),
    request: { params: projectParams },
    responses: { 200: { description: 'the policy', ...answer }, ...readErrors },
  });
  router.openapi(read, async (c) => {
    const { project } = c.req.valid('param');
    return c.json({ project, ...projectPolicyToApi(await loadProjectPolicy(deps.pool, project)) }, 200);
  });

  const replace = createRoute({
    method: 'put',
    path: '/{project}/policy',
    tags: ['projects'],
    summary: "Replace the project's policy (creates the project when missing); omitted fields take the defaults",
    security: bearerSecurity,
    middleware: guards.mutation('admin', 'project.policy'),
    request: {
      params: projectParams,
      headers: requestIdHeaders,
      body: { required: true, content: { 'application/json': { schema: projectPolicyBody } } },
    },
    responses: { 200: { description: 'replaced', ...answer }, 201: { description: 'created', ...answer }, ...mutationErrors },
  });
  router.openapi(replace, async (c) => {
    const { project } = c.req.valid('param');
    const policy = projectPolicyFromApi(c.req.valid('json'));
    const { created } = await saveProjectPolicy(deps.pool, project, policy);
    // Its freeze windows hold in every environment of the project.
    await pushPolicy(deps, project, null);
    c.set('auditDetails', { created, policy: projectPolicyToApi(policy) });
    const body = { project, ...projectPolicyToApi(policy) };
    return created ? c.json(body, 201) : c.json(body, 200);
  });

  return router;
}
