// The deployment routes end to end: requests become signals on the environment's workflow
// (observed in its Temporal history, since no worker polls the test's task queue), reads come
// from Postgres and the workflow's live state.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { auditRows, call, registerTestEnvironment, setUpApiTest, signalsOf, workflowExists, type ApiTest } from './support.js';

describe('deployment routes', () => {
  let test: ApiTest;
  const base = () => `/api/projects/${test.project}/deployments`;
  const workflowId = (env: string) => environmentWorkflowId(test.project, env);

  beforeAll(async () => {
    test = await setUpApiTest('dep');
    for (const env of ['prod', 'staging', 'quiet', 'paged']) await registerTestEnvironment(test, test.project, env);
    for (const env of ['prod', 'staging', 'quiet', 'paged']) test.started.add(workflowId(env));
  });
  afterAll(async () => {
    await test?.close();
  });

  it('lists the environments of a project with their recorded state, and 404s an unknown project', async () => {
    await test.pool.query(
      `INSERT INTO deployments (project, environment, desired_image, current_status, current_image) VALUES ($1, 'staging', 'web:7', 'healthy', 'web:7')`,
      [test.project],
    );
    const listed = await call(test.app, 'GET', base(), { token: test.tokens.reader });
    expect(listed.status).toBe(200);
    expect(listed.body.project).toBe(test.project);
    expect(listed.body.environments.map((e: any) => e.environment)).toEqual(['paged', 'prod', 'quiet', 'staging']);
    const staging = listed.body.environments.find((e: any) => e.environment === 'staging');
    expect(staging).toMatchObject({ ops_repo: `${test.prefix}-ops`, manifest_path: 'app.yaml.njk', deployment: { desired_image: 'web:7', current_status: 'healthy' } });
    expect(listed.body.environments.find((e: any) => e.environment === 'prod').deployment).toBeNull();

    const unknown = await call(test.app, 'GET', `/api/projects/${test.prefix}-nothing/deployments`, { token: test.tokens.reader });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('shows an environment that has no workflow yet, with its effective policy', async () => {
    const detail = await call(test.app, 'GET', `${base()}/quiet`, { token: test.tokens.reader });
    expect(detail.status).toBe(200);
    expect(detail.body.workflow).toBeNull();
    expect(detail.body.deployment).toBeNull();
    expect(detail.body.history).toEqual([]);
    expect(detail.body.registration).toMatchObject({
      project: test.project,
      environment: 'quiet',
      manifest_path: 'app.yaml.njk',
      ops_repo: { name: `${test.prefix}-ops`, branch: 'main', path: 'envs' },
      policy: { min_interval_ms: 500, drift_interval_ms: 3_600_000, auto_rollback: true },
      values_override: { replicas: 2 },
    });
  });

  it('deploys an image: the workflow gets a deploy signal carrying the idempotency key and the token name', async () => {
    const key = `deploy-${randomUUID()}`;
    const response = await call(test.app, 'PATCH', `${base()}/prod`, {
      token: test.tokens.promoter,
      headers: { 'Idempotency-Key': key },
      json: { image_ref: 'registry.example.com:5000/team/web:1.2.3', values_override: { replicas: 5 }, reason: 'release 1.2.3' },
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ request_id: key, workflow_id: workflowId('prod'), signal: 'deploy' });
    expect(response.headers.get('x-request-id')).toBe(key);

    expect(await signalsOf(test.client, workflowId('prod'))).toEqual([
      {
        name: 'deploy',
        payload: {
          requestId: key,
          requestedBy: `${test.prefix}-promoter`,
          reason: 'release 1.2.3',
          imageRef: 'registry.example.com:5000/team/web:1.2.3',
          valuesOverride: { replicas: 5 },
        },
      },
    ]);
    const [audit] = await auditRows(test, { requestId: key });
    expect(audit).toMatchObject({
      actor: `${test.prefix}-promoter`,
      action: 'deployment.update',
      project: test.project,
      environment: 'prod',
      outcome: 'accepted',
      details: { signal: 'deploy', image_ref: 'registry.example.com:5000/team/web:1.2.3', status: 202 },
    });
  });

  it('reports a workflow that exists but cannot answer its state query (no worker) instead of failing', async () => {
    await call(test.app, 'PATCH', `${base()}/staging`, { token: test.tokens.promoter, json: { image_ref: 'web:8' } });
    const detail = await call(test.app, 'GET', `${base()}/staging`, { token: test.tokens.reader });
    expect(detail.status).toBe(200);
    expect(detail.body.workflow).toMatchObject({ workflow_id: workflowId('staging'), status: 'RUNNING', state: null });
    expect(detail.body.workflow.state_error).toContain(test.taskQueue);
    expect(detail.body.deployment).toMatchObject({ desired_image: 'web:7' });
  });

  it('uses X-Request-Id when no Idempotency-Key is sent, and generates a UUID when neither is', async () => {
    const given = await call(test.app, 'POST', `${base()}/staging/cancel`, { token: test.tokens.promoter, headers: { 'X-Request-Id': 'trace-42' } });
    expect(given.status).toBe(202);
    expect(given.body.request_id).toBe('trace-42');
    const generated = await call(test.app, 'POST', `${base()}/staging/cancel`, { token: test.tokens.promoter });
    expect(generated.body.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const cancels = (await signalsOf(test.client, workflowId('staging'))).filter((s) => s.name === 'cancel');
    expect(cancels.map((s) => s.payload.requestId)).toEqual(['trace-42', generated.body.request_id]);
  });

  it('stops, resumes with the desired image, and rolls back, each as its own signal', async () => {
    const stopped = await call(test.app, 'PATCH', `${base()}/staging`, { token: test.tokens.promoter, json: { desired_status: 'stopped' } });
    expect(stopped.status).toBe(202);
    expect(stopped.body.signal).toBe('stop');
    const resumed = await call(test.app, 'PATCH', `${base()}/staging`, { token: test.tokens.promoter, json: { desired_status: 'running' } });
    expect(resumed.status).toBe(202);
    const stop = await call(test.app, 'POST', `${base()}/staging/stop`, { token: test.tokens.promoter, json: { reason: 'night' } });
    const rollback = await call(test.app, 'POST', `${base()}/staging/rollback`, { token: test.tokens.promoter, json: { to_release: 3 } });
    const defaultRollback = await call(test.app, 'POST', `${base()}/staging/rollback`, { token: test.tokens.promoter });
    expect([stop.status, rollback.status, defaultRollback.status]).toEqual([202, 202, 202]);

    const signals = (await signalsOf(test.client, workflowId('staging'))).filter((s) => s.name !== 'cancel');
    expect(signals.map((s) => [s.name, s.payload.requestId])).toEqual([
      ['deploy', expect.any(String)],
      ['stop', stopped.body.request_id],
      ['deploy', resumed.body.request_id],
      ['stop', stop.body.request_id],
      ['rollback', rollback.body.request_id],
      ['rollback', defaultRollback.body.request_id],
    ]);
    // "running" without an image resumes the desired image the workflow recorded.
    expect(signals[2]!.payload.imageRef).toBe('web:7');
    expect(signals[3]!.payload.reason).toBe('night');
    expect(signals[4]!.payload.toRelease).toBe(3);
    expect(signals[5]!.payload).not.toHaveProperty('toRelease');
  });

  it('refuses to resume an environment that never had a desired image, naming image_ref', async () => {
    const response = await call(test.app, 'PATCH', `${base()}/quiet`, { token: test.tokens.promoter, json: { desired_status: 'running' } });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'no_desired_image', details: [{ field: 'image_ref' }] });
    expect(await workflowExists(test.client, workflowId('quiet'))).toBe(false);
    const [audit] = await auditRows(test, { requestId: response.headers.get('x-request-id')! });
    expect(audit).toMatchObject({ outcome: 'rejected', environment: 'quiet', details: { status: 409 } });
  });

  it('replaces the stored values override without signalling when values_override comes alone', async () => {
    const response = await call(test.app, 'PATCH', `${base()}/quiet`, { token: test.tokens.promoter, json: { values_override: { replicas: 9, tier: 'gold' } } });
    expect(response.status).toBe(202);
    expect(response.body.signal).toBeNull();
    const { rows } = await test.pool.query('SELECT values_override FROM environments WHERE project = $1 AND name = $2', [test.project, 'quiet']);
    expect(rows[0].values_override).toEqual({ replicas: 9, tier: 'gold' });
    expect(await workflowExists(test.client, workflowId('quiet'))).toBe(false);
  });

  it('pages through history newest first with a next_before cursor', async () => {
    for (let i = 1; i <= 25; i += 1) {
      await test.pool.query(
        `INSERT INTO deployment_history (idempotency_key, project, environment, action, status, image_ref, request_id, started_at)
         VALUES ($1, $2, 'paged', 'deploy', 'healthy', $3, $4, now())`,
        [`${test.prefix}/paged/${i}`, test.project, `web:${i}`, `r-${i}`],
      );
    }
    const first = await call(test.app, 'GET', `${base()}/paged/history?limit=10`, { token: test.tokens.reader });
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: any) => r.image_ref)).toEqual(Array.from({ length: 10 }, (_, i) => `web:${25 - i}`));
    const second = await call(test.app, 'GET', `${base()}/paged/history?limit=10&before=${first.body.next_before}`, { token: test.tokens.reader });
    expect(second.body.items.map((r: any) => r.image_ref)).toEqual(Array.from({ length: 10 }, (_, i) => `web:${15 - i}`));
    const last = await call(test.app, 'GET', `${base()}/paged/history?limit=10&before=${second.body.next_before}`, { token: test.tokens.reader });
    expect(last.body.items.map((r: any) => r.image_ref)).toEqual(['web:5', 'web:4', 'web:3', 'web:2', 'web:1']);
    expect(last.body.next_before).toBeNull();

    const byDefault = await call(test.app, 'GET', `${base()}/paged/history`, { token: test.tokens.reader });
    expect(byDefault.body.items).toHaveLength(20);
    const detail = await call(test.app, 'GET', `${base()}/paged`, { token: test.tokens.reader });
    expect(detail.body.history).toHaveLength(20);
    expect(detail.body.history[0]).toMatchObject({ image_ref: 'web:25', request_id: 'r-25', action: 'deploy', status: 'healthy' });
  });
});
