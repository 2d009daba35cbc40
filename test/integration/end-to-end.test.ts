// The whole path on real parts: a local git ops repo, the real activities in a real worker, the
// stack's Temporal, Postgres and Kubernetes (kwok nodes). One environment goes through deploy,
// upgrade, prune, rollback, stop, a failing release with auto-rollback, and a hand edit that the
// drift pass undoes.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { DeployerClient, ReleaseFailedError } from '../../src/client/deployer-client.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';


describe('deploying through the workflow with the real activities', () => {
  const project = `e2e-${uniqueSuffix()}`;
  const environment = 'staging';
  const namespace = `${project}-${environment}`;
  const key = { project, environment };
  const taskQueue = `e2e-${uniqueSuffix()}`;
  const dirs: string[] = [];
  let repo: SimpleGit;
  let repoDir: string;
  let real: RealWorker;
  let deployer: DeployerClient;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  const pool = () => getPool(testEnv.databaseUrl);

  async function commit(message: string): Promise<string> {
    await repo.add('.').commit(message);
    return (await repo.revparse(['HEAD'])).trim();
  }

  /** How long the last wait-for-health activity took, from the workflow's history (server time). */
  async function lastRolloutWaitMs(): Promise<number> {
    const history = await deployer['options'].client.workflow.getHandle(`deploy/${project}/${environment}`).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.filter((e) => ['waitForRollout', 'rollOutRelease'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '')).at(-1);
    const completed = events.find((e) => e.activityTaskCompletedEventAttributes && String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(scheduled?.eventId));
    const millis = (e: typeof scheduled) => Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.round((e?.eventTime?.nanos ?? 0) / 1e6);
    return millis(completed) - millis(scheduled);
  }

  async function deployAndWait(imageRef: string, valuesOverride?: Record<string, unknown>) {
    const sentAt = Date.now();
    const { requestId } = await deployer.deploy({ ...key, imageRef, valuesOverride, requestedBy: 'e2e' });
    const release = await deployer.waitForRelease(key, requestId, { timeoutMs: 90_000, pollIntervalMs: 50 });
    return { release, requestId, totalMs: Date.now() - sentAt, rolloutMs: await lastRolloutWaitMs() };
  }

  async function deploymentPods() {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${project}` });
    return pods.items.filter((pod) => !pod.metadata?.deletionTimestamp);
  }

  /** The rows once none is in progress: a release is healthy in the workflow a moment before its row is written. */
  async function finalHistoryRows() {
    return waitFor('the history rows to be final', async () => {
      const rows = await historyRows();
      return rows.some((r) => r.status === 'in-progress') ? undefined : rows;
    }, { timeoutMs: 30_000 });
  }

  async function historyRows() {
    const { rows } = await pool().query<{ action: string; status: string; image_ref: string | null; sha: string | null; error: string | null; reason: string | null }>(
      'SELECT action, status, image_ref, sha, error, reason FROM deployment_history WHERE project = $1 ORDER BY id',
      [project],
    );
    return rows;
  }

  beforeAll(async () => {
    installQuietRuntime();
    await migrate(pool());
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-e2e-cache-'));
    ({ dir: repoDir, repo } = await registerSampleEnvironment(pool(), project, environment, { minIntervalMs: 200, driftIntervalMs: 4_000, healthTimeoutMs: 60_000 }));
    dirs.push(repoDir, cacheDir);

    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await startRealWorker({ taskQueue, pool: pool(), kubeConfig, repoCacheDir: cacheDir });
    deployer = real.deployer;
  });

  afterAll(async () => {
    await real?.close([`deploy/${project}/${environment}`]);
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('deploys, upgrades, prunes, rolls back, stops, auto-rolls back a failing release and undoes a hand edit', async () => {
    // Image A: pods Ready, history healthy.
    const first = await deployAndWait('registry.example/shop/web:1.0.0');
    console.info(`deploy A: signal to healthy ${first.totalMs} ms, of which waiting for the rollout ${first.rolloutMs} ms`);
    expect(first.release).toMatchObject({ imageRef: 'registry.example/shop/web:1.0.0', status: 'healthy' });
    const shaA = first.release.opsSha!;
    let pods = await deploymentPods();
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    expect((await core.readNamespacedConfigMap({ name: `${project}-config`, namespace })).data?.environment).toBe(environment);
    expect((await finalHistoryRows()).at(-1)).toMatchObject({ action: 'deploy', status: 'healthy', image_ref: 'registry.example/shop/web:1.0.0', sha: shaA });

    // Image B: a new ReplicaSet rolled out, the old pods gone.
    const second = await deployAndWait('registry.example/shop/web:2.0.0');
    console.info(`deploy B: signal to healthy ${second.totalMs} ms, of which waiting for the rollout ${second.rolloutMs} ms`);
    pods = await waitFor('only B pods', async () => {
      const current = await deploymentPods();
      return current.length === 2 && current.every((p) => p.spec?.containers[0]?.image === 'registry.example/shop/web:2.0.0') ? current : undefined;
    });
    const replicaSets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${project}` });
    expect(replicaSets.items.map((rs) => [rs.spec?.template?.spec?.containers[0]?.image, rs.spec?.replicas]).sort()).toEqual([
      ['registry.example/shop/web:1.0.0', 0],
      ['registry.example/shop/web:2.0.0', 2],
    ]);

    // The ConfigMap leaves the repository: the next deploy prunes it.
    const template = await readFile(join(repoDir, 'app.yaml.njk'), 'utf8');
    await writeFile(join(repoDir, 'app.yaml.njk'), template.split('\n---\n').filter((doc) => !doc.includes('kind: ConfigMap')).join('\n---\n'));
    const shaWithoutConfigMap = await commit('drop the configmap');
    const third = await deployAndWait('registry.example/shop/web:2.1.0');
    expect(third.release.opsSha).toBe(shaWithoutConfigMap);
    await expect(core.readNamespacedConfigMap({ name: `${project}-config`, namespace })).rejects.toMatchObject({ code: 404 });

    // Roll back: B's release comes back (2.0.0, rendered from the commit that still had the ConfigMap).
    const { requestId: rollbackId } = await deployer.rollback({ ...key, requestedBy: 'e2e' });
    const rolledBack = await deployer.waitForRelease(key, rollbackId, { timeoutMs: 90_000 });
    expect(rolledBack).toMatchObject({ action: 'rollback', imageRef: 'registry.example/shop/web:2.0.0', opsSha: second.release.opsSha, pinned: true });
    await waitFor('2.0.0 pods', async () => (await deploymentPods()).every((p) => p.spec?.containers[0]?.image === 'registry.example/shop/web:2.0.0'));
    expect((await core.readNamespacedConfigMap({ name: `${project}-config`, namespace })).data?.environment).toBe(environment);

    // Stop: replicas 0.
    const { requestId: stopId } = await deployer.stop({ ...key, requestedBy: 'e2e' });
    expect((await deployer.waitForRequest(key, stopId, { timeoutMs: 60_000 })).request.outcome).toBe('stopped');
    expect((await apps.readNamespacedDeployment({ name: project, namespace })).spec?.replicas).toBe(0);
    await waitFor('pods to go', async () => (await deploymentPods()).length === 0);

    // A release whose pods cannot be scheduled fails on its progress deadline; the healthy one comes back.
    const stuck = await deployer.deploy({
      ...key,
      imageRef: 'registry.example/shop/web:3.0.0',
      valuesOverride: { nodeSelector: { 'deployer.test/pool': 'nowhere' }, progressDeadlineSeconds: 5 },
      requestedBy: 'e2e',
    });
    const failure = await deployer.waitForRelease(key, stuck.requestId, { timeoutMs: 90_000 }).catch((error) => error);
    expect(failure).toBeInstanceOf(ReleaseFailedError);
    expect(failure.message).toContain('ProgressDeadlineExceeded');
    const restored = await waitFor('the auto-rollback to be healthy', async () => {
      const state = await deployer.state(key);
      return state?.current?.action === 'auto-rollback' && !state.inFlight ? state.current : undefined;
    }, { timeoutMs: 90_000 });
    expect(restored).toMatchObject({ imageRef: 'registry.example/shop/web:2.0.0', opsSha: second.release.opsSha });
    await waitFor('2.0.0 pods Ready again', async () => {
      const current = await deploymentPods();
      return current.length === 2 && current.every((p) => p.spec?.containers[0]?.image === 'registry.example/shop/web:2.0.0' && p.status?.phase === 'Running');
    }, { timeoutMs: 60_000 });
    const rows = await finalHistoryRows();
    expect(rows.find((r) => r.image_ref === 'registry.example/shop/web:3.0.0')).toMatchObject({ action: 'deploy', status: 'failed', error: expect.stringContaining('ProgressDeadlineExceeded') });
    expect(rows.at(-1)).toMatchObject({ action: 'auto-rollback', status: 'healthy', image_ref: 'registry.example/shop/web:2.0.0' });

    // Someone edits the live Deployment by hand; the next drift pass restores it and says so.
    await apps.patchNamespacedDeployment(
      { name: project, namespace, fieldManager: 'kubectl-edit', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/shop/web:hotfix' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await waitFor('the drift pass to restore the image', async () => {
      const live = await apps.readNamespacedDeployment({ name: project, namespace });
      return live.spec?.template.spec?.containers[0]?.image === 'registry.example/shop/web:2.0.0';
    }, { timeoutMs: 30_000 });
    const correction = await waitFor('a drift correction row', async () => (await historyRows()).find((r) => r.action === 'drift' && r.status === 'corrected'));
    expect(correction.reason).toContain(`Deployment/${project}`);
    const state = await deployer.state(key);
    expect(state?.desired).toMatchObject({ imageRef: 'registry.example/shop/web:2.0.0' });
  });
});
