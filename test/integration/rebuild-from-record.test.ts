// A workflow run that ends (here: terminated mid-rollout) must not cost the environment its past:
// the next request starts a run that rebuilds its state from Postgres, closes the row the ended
// run left in progress, and can still roll back.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

describe('a run that ended', () => {
  const suffix = uniqueSuffix();
  const key = { project: `rebuild-${suffix}`, environment: 'dev' };
  const workflowId = `deploy/${key.project}/${key.environment}`;
  const dirs: string[] = [];
  let real: RealWorker;
  let core: k8s.CoreV1Api;

  beforeAll(async () => {
    installQuietRuntime();
    const pool = getPool(testEnv.databaseUrl);
    await migrate(pool);
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-rebuild-cache-'));
    const env = await registerSampleEnvironment(pool, key.project, key.environment, { minIntervalMs: 100, driftIntervalMs: 600_000, healthTimeoutMs: 120_000 });
    dirs.push(env.dir, cacheDir);
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await startRealWorker({ taskQueue: `rebuild-${suffix}`, pool, kubeConfig, repoCacheDir: cacheDir });
  });
  afterAll(async () => {
    await real?.close([workflowId]);
    await core?.deleteNamespace({ name: `${key.project}-dev` }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('is followed by one that rebuilds state from the record, closes the row left in progress, and rolls back', async () => {
    const pool = getPool(testEnv.databaseUrl);
    for (const tag of ['1', '2']) {
      const accepted = await real.deployer.deploy({ ...key, imageRef: `registry.example/rebuild/web:${tag}`, requestedBy: 'tests' });
      await real.deployer.waitForRelease(key, accepted.requestId, { timeoutMs: 60_000 });
    }
    // Pods that no node accepts: the rollout of web:3 stays open until the run is terminated.
    const stuck = await real.deployer.deploy({
      ...key,
      imageRef: 'registry.example/rebuild/web:3',
      requestedBy: 'tests',
      valuesOverride: { nodeSelector: { 'deployer.dev/no-such-node': 'true' } },
    });
    await waitFor('web:3 to wait for health', async () => ((await real.deployer.state(key))?.inFlight?.step === 'health' ? true : undefined), { timeoutMs: 60_000 });
    await real.client.workflow.getHandle(workflowId).terminate('an operator ended the run');
    expect((await real.deployer.workflowStatus(key))?.status).toBe('TERMINATED');
    const left = await pool.query('SELECT status FROM deployment_history WHERE project = $1 AND request_id = $2', [key.project, stuck.requestId]);
    expect(left.rows).toEqual([{ status: 'in-progress' }]);

    // The next request starts a new run: it must know web:2 is current and web:1 came before it.
    const rollback = await real.deployer.rollback({ ...key, requestedBy: 'tests', reason: 'after the run ended' });
    const restored = await real.deployer.waitForRelease(key, rollback.requestId, { timeoutMs: 90_000 });
    expect(restored).toMatchObject({ seq: 4, action: 'rollback', imageRef: 'registry.example/rebuild/web:1', status: 'healthy', pinned: true });

    const state = await real.deployer.state(key);
    expect(state?.releases.map((r) => `${r.seq} ${r.imageRef.split(':')[1]} ${r.status}`)).toEqual(['4 1 healthy', '3 3 failed', '2 2 healthy', '1 1 healthy']);
    expect(state?.current?.seq).toBe(4);

    const rows = await waitFor('every history row to be final', async () => {
      const { rows: current } = await pool.query<{ action: string; status: string; error_type: string | null; image_ref: string; finished: boolean }>(
        `SELECT action, status, error_type, image_ref, finished_at IS NOT NULL AS finished
           FROM deployment_history WHERE project = $1 ORDER BY id`,
        [key.project],
      );
      return current.some((row) => row.status === 'in-progress') ? undefined : current;
    }, { timeoutMs: 30_000 });
    expect(rows.map((r) => [r.action, r.image_ref.split(':')[1], r.status, r.error_type, r.finished])).toEqual([
      ['deploy', '1', 'healthy', null, true],
      ['deploy', '2', 'healthy', null, true],
      ['deploy', '3', 'failed', 'RunEnded', true],
      ['rollback', '1', 'healthy', null, true],
    ]);
  });
});
