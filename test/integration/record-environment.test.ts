import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironmentActivities } from '../../activities/environment.js';
import { createRecordActivities } from '../../activities/record.js';
import { defaultPolicy } from '../../activities/types.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { migrate } from '../../src/db/migrate.js';
import { recordReleaseChanges } from '../../src/db/release-changes.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { deploymentsTotal } from '../../src/observability/metrics.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

describe('the record and load activities on real Postgres', () => {
  const project = `rec-${uniqueSuffix()}`;
  const pool = () => getPool(testEnv.databaseUrl);
  beforeAll(async () => {
    await migrate(pool());
    await registerEnvironment(pool(), {
      project,
      environment: 'prod',
      opsRepo: { name: `${project}-ops`, url: 'https://git.example/ops.git', branch: 'main', path: 'envs/prod' },
      manifestPath: 'app.yaml.njk',
      namespace: `${project}-prod`,
      policy: { minIntervalMs: 500 },
      valuesOverride: { replicas: 3 },
    });
  });
  afterAll(async () => {
    await closePools();
  });

  it('loads an environment with its policy over the defaults, and refuses an unknown one by name', async () => {
    const { loadEnvironment } = createEnvironmentActivities({ pool: pool() });
    const env = new MockActivityEnvironment();
    const config = await env.run(loadEnvironment, { project, environment: 'prod' });
    expect(config).toEqual({
      project,
      environment: 'prod',
      namespace: `${project}-prod`,
      opsRepo: { url: 'https://git.example/ops.git', branch: 'main', path: 'envs/prod' },
      manifestPath: 'app.yaml.njk',
      valuesOverride: { replicas: 3 },
      policy: { ...defaultPolicy, minIntervalMs: 500, freezeWindows: [], notifications: false },
    });
    await expect(env.run(loadEnvironment, { project, environment: 'nope' })).rejects.toMatchObject({
      type: 'EnvironmentNotFound',
      nonRetryable: true,
      message: expect.stringContaining(`${project}/nope is not registered`),
    });
  });

  it('writes a history row once per idempotency key, however often the write is retried', async () => {
    const { recordHistory } = createRecordActivities({ pool: pool() });
    const key = `deploy/${project}/prod/run-1/1`;
    const start = { idempotencyKey: key, project, environment: 'prod', action: 'deploy' as const, status: 'in-progress' as const, imageRef: 'web:1', requestId: 'r1', startedAt: '2026-11-23T10:00:00.000Z' };
    await recordHistory(start);
    await recordHistory(start); // a retried start
    const end = { ...start, status: 'healthy' as const, sha: 'abc123', finishedAt: '2026-11-23T10:00:05.000Z' };
    const countedBefore = (await deploymentsTotal.get()).values.find((v) => v.labels.action === 'deploy' && v.labels.outcome === 'healthy')?.value ?? 0;
    await recordHistory(end);
    await recordHistory(end); // a retried end
    const countedAfter = (await deploymentsTotal.get()).values.find((v) => v.labels.action === 'deploy' && v.labels.outcome === 'healthy')?.value ?? 0;
    expect(countedAfter - countedBefore).toBe(1);

    const { rows } = await pool().query('SELECT status, image_ref, sha, request_id, finished_at FROM deployment_history WHERE idempotency_key = $1', [key]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'healthy', image_ref: 'web:1', sha: 'abc123', request_id: 'r1' });
    expect((rows[0].finished_at as Date).toISOString()).toBe('2026-11-23T10:00:05.000Z');
  });

  it("keeps a release's approval decision through its later writes, and adds one that a write of the same status brings, counting the release once", async () => {
    const { recordHistory } = createRecordActivities({ pool: pool() });
    const counted = async (outcome: string) => (await deploymentsTotal.get()).values.find((v) => v.labels.action === 'deploy' && v.labels.outcome === outcome)?.value ?? 0;
    const approval = { decision: 'approved' as const, by: 'alice', at: '2026-11-23T11:00:00.000Z', reason: 'reviewed the diff' };
    const approved = `deploy/${project}/prod/run-2/1`;
    const start = { idempotencyKey: approved, project, environment: 'prod', action: 'deploy' as const, status: 'in-progress' as const, imageRef: 'web:2', startedAt: '2026-11-23T11:00:01.000Z', approval };
    await recordHistory(start);
    await recordHistory({ ...start, approval: undefined, status: 'healthy', finishedAt: '2026-11-23T11:00:09.000Z' });
    const read = async (key: string) => (await pool().query('SELECT status, approval FROM deployment_history WHERE idempotency_key = $1', [key])).rows;
    expect(await read(approved)).toEqual([{ status: 'healthy', approval }]);

    // Refused after the row was written: the decision comes with a write of the status the row has.
    const expired = `deploy/${project}/prod/run-2/2`;
    const refused = { ...start, idempotencyKey: expired, approval: undefined, status: 'cancelled' as const, finishedAt: '2026-11-23T12:00:01.000Z' };
    const before = await counted('cancelled');
    await recordHistory(refused);
    await recordHistory({ ...refused, approval: { decision: 'expired', at: '2026-11-23T12:00:00.000Z' } });
    await recordHistory({ ...refused, approval: { decision: 'expired', at: '2026-11-23T12:00:00.000Z' } }); // retried
    expect(await read(expired)).toEqual([{ status: 'cancelled', approval: { decision: 'expired', at: '2026-11-23T12:00:00.000Z' } }]);
    expect((await counted('cancelled')) - before).toBe(1);
  });

  it("writes what a release's apply did onto its row, and a retry that found everything in place keeps the first attempt's account", async () => {
    const { recordHistory } = createRecordActivities({ pool: pool() });
    const key = `deploy/${project}/prod/run-3/1`;
    await recordHistory({ idempotencyKey: key, project, environment: 'prod', action: 'deploy', status: 'in-progress', imageRef: 'web:3', startedAt: '2026-11-23T13:00:00.000Z' });
    const web = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: `${project}-prod` };
    const configured = { objects: [{ ref: web, action: 'configured' as const, diff: [{ path: 'spec.template.spec.containers[name=web].image', before: 'web:2', after: 'web:3' }] }], omittedFieldChanges: 0 };
    await recordReleaseChanges(pool(), key, configured);
    await recordReleaseChanges(pool(), key, { objects: [{ ref: web, action: 'unchanged' }], omittedFieldChanges: 0 });
    const { rows } = await pool().query('SELECT changes FROM deployment_history WHERE idempotency_key = $1', [key]);
    expect(rows).toEqual([{ changes: configured }]);
  });

  it('keeps one current-state row per environment and refuses an unregistered environment', async () => {
    const { recordCurrentState } = createRecordActivities({ pool: pool() });
    await recordCurrentState({ project, environment: 'prod', desiredImage: 'web:1', desiredStatus: 'running', currentStatus: 'deploying' });
    await recordCurrentState({ project, environment: 'prod', desiredImage: 'web:1', desiredStatus: 'running', currentStatus: 'healthy', currentImage: 'web:1', currentSha: 'abc123' });
    const { rows } = await pool().query('SELECT current_status, current_image FROM deployments WHERE project = $1', [project]);
    expect(rows).toEqual([{ current_status: 'healthy', current_image: 'web:1' }]);
    await expect(recordCurrentState({ project, environment: 'ghost', desiredStatus: 'running', currentStatus: 'new' })).rejects.toMatchObject({ type: 'EnvironmentNotFound' });
  });
});
