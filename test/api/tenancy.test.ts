// Namespaces belong to one project, and a project's policy is the admins' to set: the claim rules
// of environment registration, and the policy routes with their auth matrix and bad inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, call, rowCounts, setUpApiTest, type ApiTest } from './support.js';

describe('namespace claims and project policies', () => {
  let test: ApiTest;
  const register = (project: string, env: string, namespace: string, token: string, extra: Record<string, unknown> = {}) =>
    call(test.app, 'PUT', `/api/projects/${project}/environments/${env}`, {
      token,
      json: { ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', namespace, ...extra },
    });
  const environmentRow = async (project: string, env: string) =>
    (await test.pool.query('SELECT namespace FROM environments WHERE project = $1 AND name = $2', [project, env])).rows[0];

  beforeAll(async () => {
    test = await setUpApiTest('tenancy');
    await call(test.app, 'POST', '/api/admin/ops-repos', { token: test.tokens.admin, json: { name: `${test.prefix}-ops`, url: 'https://git.example.com/ops.git' } });
  });
  afterAll(async () => {
    await test?.close();
  });

  it("refuses another project's namespace with 409 naming the owner, even to that project's own admin token", async () => {
    const namespace = `${test.prefix}-owned`;
    expect((await register(test.project, 'prod', namespace, test.tokens.admin)).status).toBe(201);

    for (const token of [test.tokens.admin, test.tokens.otherProjectAdmin]) {
      const before = await rowCounts(test);
      const refused = await register(test.otherProject, 'thief', namespace, token, { policy: { force_conflicts: true } });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'namespace_claimed', message: `namespace: namespace ${namespace} belongs to project ${test.project}` });
      expect(refused.body.error.details).toContainEqual(expect.objectContaining({ field: 'namespace', owner: { project: test.project } }));
      expect(await environmentRow(test.otherProject, 'thief')).toBeUndefined();
      expect(await rowCounts(test)).toEqual({ ...before, audit: before.audit + 1 });
    }
    const [audit] = (await auditRows(test, { action: 'environment.register' })).filter((row) => row.project === test.otherProject).slice(-1);
    expect(audit).toMatchObject({ outcome: 'rejected', details: { status: 409 } });
  });

  it('lets environments of one project share a namespace only when the registration says so', async () => {
    const namespace = `${test.prefix}-shared`;
    expect((await register(test.project, 'a', namespace, test.tokens.admin)).status).toBe(201);
    const unshared = await register(test.project, 'b', namespace, test.tokens.admin);
    expect(unshared.status).toBe(409);
    expect(unshared.body.error.message).toBe(
      `namespace: namespace ${namespace} is used by environment ${test.project}/a; register with share_namespace to share it within the project`,
    );
    const shared = await register(test.project, 'b', namespace, test.tokens.admin, { share_namespace: true });
    expect(shared.status).toBe(201);
    expect(shared.body).toMatchObject({ namespace, share_namespace: true, impersonate: null });
  });

  it('stores the service account an environment applies as', async () => {
    const namespace = `${test.prefix}-sa`;
    const response = await register(test.project, 'sa', namespace, test.tokens.admin, { impersonate: { service_account: 'deployer', namespace } });
    expect(response.status).toBe(201);
    expect(response.body.impersonate).toEqual({ service_account: 'deployer', namespace });
    const bad = await register(test.project, 'sa', namespace, test.tokens.admin, { impersonate: { service_account: 'Deployer!', namespace } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toContainEqual(expect.objectContaining({ field: 'impersonate.service_account' }));
    // A service account of another namespace (kube-system's controllers, say) would lend powers nobody granted.
    const elsewhere = await register(test.project, 'sa', namespace, test.tokens.admin, { impersonate: { service_account: 'clusterrole-aggregation-controller', namespace: 'kube-system' } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.details).toContainEqual({ field: 'impersonate.namespace', message: `impersonate.namespace: must be the environment's namespace (${namespace})` });
    expect((await call(test.app, 'GET', `/api/projects/${test.project}/deployments/sa`, { token: test.tokens.admin })).body.registration.impersonate).toEqual({ service_account: 'deployer', namespace });
  });

  describe('policy routes', () => {
    const path = () => `/api/projects/${test.project}/policy`;
    const policy = { allowed_namespaces: ['a-ns', 'b-ns'], allowed_cluster_kinds: ['scheduling.k8s.io/PriorityClass'], denied_namespaced_kinds: ['Secret'], allow_cluster_rbac: false };

    it('answers the defaults before any policy is set', async () => {
      const response = await call(test.app, 'GET', path(), { token: test.tokens.reader });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ project: test.project, allowed_namespaces: null, allowed_cluster_kinds: [], denied_namespaced_kinds: [], allow_cluster_rbac: false, freeze_windows: [] });
    });

    it('creates (201) and replaces (200) a policy, audited, and reads it back', async () => {
      const created = await call(test.app, 'PUT', path(), { token: test.tokens.admin, json: policy });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ project: test.project, ...policy, freeze_windows: [] });
      const replaced = await call(test.app, 'PUT', path(), { token: test.tokens.projectAdmin, json: { allow_cluster_rbac: true } });
      expect(replaced.status).toBe(200);
      expect((await call(test.app, 'GET', path(), { token: test.tokens.reader })).body).toEqual({
        project: test.project,
        allowed_namespaces: null,
        allowed_cluster_kinds: [],
        denied_namespaced_kinds: [],
        allow_cluster_rbac: true,
        freeze_windows: [],
      });
      const audits = await auditRows(test, { action: 'project.policy' });
      expect(audits.map((a) => [a.outcome, a.details.status])).toEqual([
        ['accepted', 201],
        ['accepted', 200],
      ]);
    });

    it.each([
      ['no token', undefined, 'PUT', 401],
      ['a revoked token', 'revoked', 'PUT', 401],
      ['a deploy:read token', 'reader', 'PUT', 403],
      ['a deploy:promote token', 'promoter', 'PUT', 403],
      ["another project's admin", 'otherProjectAdmin', 'PUT', 403],
      ["another project's admin reading", 'otherProjectAdmin', 'GET', 403],
      ['no token reading', undefined, 'GET', 401],
    ] as const)('refuses %s (%s %s → %i) and changes nothing', async (_name, tokenName, method, status) => {
      const before = (await call(test.app, 'GET', path(), { token: test.tokens.admin })).body;
      const response = await call(test.app, method, path(), { token: tokenName && test.tokens[tokenName], json: method === 'PUT' ? { allow_cluster_rbac: false } : undefined });
      expect(response.status).toBe(status);
      expect(response.body.error.code).toEqual(expect.any(String));
      expect((await call(test.app, 'GET', path(), { token: test.tokens.admin })).body).toEqual(before);
    });

    it.each([
      ['a namespace that is not a slug', { allowed_namespaces: ['Bad_NS'] }, 'allowed_namespaces[0]'],
      ['a kind in lower case', { allowed_cluster_kinds: ['priorityclass'] }, 'allowed_cluster_kinds[0]'],
      ['a kind with a bad group', { denied_namespaced_kinds: ['Bad Group/Secret'] }, 'denied_namespaced_kinds[0]'],
      ['a flag that is a string', { allow_cluster_rbac: 'yes' }, 'allow_cluster_rbac'],
      ['an unknown field', { allowedNamespaces: ['a'] }, 'allowedNamespaces'],
      ['too many namespaces', { allowed_namespaces: Array.from({ length: 101 }, (_, i) => `ns-${i}`) }, 'allowed_namespaces'],
    ])('refuses %s with 400 naming the field', async (_name, body, field) => {
      const before = (await call(test.app, 'GET', path(), { token: test.tokens.admin })).body;
      const response = await call(test.app, 'PUT', path(), { token: test.tokens.admin, json: body });
      expect(response.status).toBe(400);
      expect(response.body.error.details).toContainEqual(expect.objectContaining({ field }));
      expect((await call(test.app, 'GET', path(), { token: test.tokens.admin })).body).toEqual(before);
    });
  });
});
