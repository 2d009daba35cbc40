// Environment registration over the API: creating the project on first use, replacing on repeat,
// and referring to the ops repo by name or id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, call, setUpApiTest, type ApiTest } from './support.js';

describe('PUT /api/projects/:project/environments/:env', () => {
  let test: ApiTest;
  let opsRepoId: number;
  const path = (env: string) => `/api/projects/${test.project}/environments/${env}`;

  beforeAll(async () => {
    test = await setUpApiTest('env');
    const created = await call(test.app, 'POST', '/api/admin/ops-repos', {
      token: test.tokens.admin,
      json: { name: `${test.prefix}-ops`, url: 'https://git.example.com/shop-ops.git', path: 'envs' },
    });
    opsRepoId = created.body.id;
  });
  afterAll(async () => {
    await test?.close();
  });

  it('creates the project and the environment, storing the policy the workflow reads', async () => {
    const response = await call(test.app, 'PUT', path('prod'), {
      token: test.tokens.admin,
      headers: { 'Idempotency-Key': `${test.prefix}-register-prod` },
      json: {
        ops_repo: `${test.prefix}-ops`,
        manifest_path: './apps//web.yaml.njk',
        namespace: `${test.prefix}-prod`,
        policy: { min_interval_ms: 0, health_timeout_ms: 120_000, auto_rollback: false },
        values_override: { replicas: 3 },
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      project: test.project,
      environment: 'prod',
      namespace: `${test.prefix}-prod`,
      manifest_path: 'apps/web.yaml.njk',
      ops_repo: { id: opsRepoId, name: `${test.prefix}-ops`, path: 'envs' },
      policy: { min_interval_ms: 0, health_timeout_ms: 120_000, auto_rollback: false, drift_interval_ms: 3_600_000 },
      values_override: { replicas: 3 },
    });

    const { rows } = await test.pool.query('SELECT policy, manifest_path FROM environments WHERE project = $1 AND name = $2', [test.project, 'prod']);
    expect(rows[0]).toEqual({ policy: { minIntervalMs: 0, healthTimeoutMs: 120_000, autoRollback: false }, manifest_path: 'apps/web.yaml.njk' });
    expect((await test.pool.query('SELECT 1 FROM projects WHERE name = $1', [test.project])).rowCount).toBe(1);
    const [audit] = await auditRows(test, { requestId: `${test.prefix}-register-prod` });
    expect(audit).toMatchObject({ action: 'environment.register', outcome: 'accepted', project: test.project, environment: 'prod', details: { created: true } });
  });

  it('replaces a registration (by ops repo id) and answers 200; omitted settings fall back to the defaults', async () => {
    const response = await call(test.app, 'PUT', path('prod'), {
      token: test.tokens.projectAdmin,
      json: { ops_repo: opsRepoId, manifest_path: 'web.yaml.njk', namespace: `${test.prefix}-prod-2` },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ namespace: `${test.prefix}-prod-2`, manifest_path: 'web.yaml.njk', values_override: {}, policy: { auto_rollback: true, min_interval_ms: 2_000 } });
    const { rows } = await test.pool.query('SELECT policy FROM environments WHERE project = $1 AND name = $2', [test.project, 'prod']);
    expect(rows[0].policy).toEqual({});
  });

  it('makes the environment visible to the deployment routes', async () => {
    const listed = await call(test.app, 'GET', `/api/projects/${test.project}/deployments`, { token: test.tokens.reader });
    expect(listed.body.environments).toEqual([
      expect.objectContaining({ environment: 'prod', namespace: `${test.prefix}-prod-2`, ops_repo: `${test.prefix}-ops`, deployment: null }),
    ]);
  });
});
