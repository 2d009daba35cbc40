// Drift arrives as events: the cluster watcher sees a hand edit or a deletion of an object an
// environment manages and the environment corrects it within seconds, not at its safety-net pass
// (an hour here). A watcher whose worker goes away (shut down, or killed -9 with no goodbye) is
// replaced, and what happened meanwhile is caught up from the watch versions and digests it carried.
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterWatchResume } from '../../activities/cluster-watch.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { ensureClusterWatcher } from '../../src/system/ensure-cluster-watcher.js';
import { clusterWatcherWorkflowId } from '../../workflows/messages.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment, type SampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { startWorkerChild, writeWorkflowBundle } from '../support/worker-child.js';

describe('drift reported by the cluster watcher', () => {
  const suffix = uniqueSuffix();
  const key = { project: `watch-${suffix}`, environment: 'dev' };
  const taskQueue = `watch-${suffix}`;
  const dirs: string[] = [];
  let env: SampleEnvironment;
  let real: RealWorker;
  /** a client of its own: it outlives the workers the tests stop and start */
  let observer: Client;
  let cacheDir: string;
  let kubeConfig: k8s.KubeConfig;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  const pool = () => getPool(testEnv.databaseUrl);
  const start = () => startRealWorker({ taskQueue, pool: pool(), kubeConfig, repoCacheDir: cacheDir });

  async function driftRows(): Promise<Array<{ status: string; reason: string | null; requested_by: string }>> {
    const { rows } = await pool().query('SELECT status, reason, requested_by FROM deployment_history WHERE project = $1 AND action = $2 ORDER BY id', [key.project, 'drift']);
    return rows;
  }

  /**
   * Until the watcher's heartbeat carries the environment's Deployment, it may not have listed it
   * yet. With `by`, the heartbeat must also come from that worker process, sent after `since`.
   */
  async function watcherKnows(uid: string, by?: { pid: number; since: number }): Promise<void> {
    await waitFor('the watcher to know the Deployment', async () => {
      const { raw } = await observer.workflow.getHandle(clusterWatcherWorkflowId(taskQueue)).describe();
      const activity = raw.pendingActivities?.[0];
      if (by) {
        const heartbeatAt = Number(activity?.lastHeartbeatTime?.seconds ?? 0) * 1000;
        if (!activity?.lastWorkerIdentity?.startsWith(`${by.pid}@`) || heartbeatAt < by.since) return undefined;
      }
      const payload = activity?.heartbeatDetails?.payloads?.[0];
      const resume = payload ? defaultPayloadConverter.fromPayload<ClusterWatchResume>(payload) : undefined;
      return resume?.objects.some(([known]) => known === uid) ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
  }

  beforeAll(async () => {
    installQuietRuntime();
    observer = new Client({ connection: await Connection.connect({ address: testEnv.temporalAddress }), namespace: testEnv.temporalNamespace });
    await migrate(pool());
    cacheDir = await mkdtemp(join(tmpdir(), 'deployer-watch-cache-'));
    env = await registerSampleEnvironment(pool(), key.project, key.environment, { minIntervalMs: 100, driftIntervalMs: 3_600_000 });
    dirs.push(env.dir, cacheDir);
    kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    real = await start();
    const accepted = await real.deployer.deploy({ ...key, imageRef: 'registry.example/watch/web:1', requestedBy: 'tests' });
    await real.deployer.waitForRelease(key, accepted.requestId, { timeoutMs: 60_000 });
    await ensureClusterWatcher(real.client, taskQueue);
    const deployment = await apps.readNamespacedDeployment({ name: key.project, namespace: env.namespace });
    await watcherKnows(deployment.metadata!.uid!);
  });
  afterAll(async () => {
    // A test that failed between stopping one worker and starting the next leaves it closed.
    await real?.close([`deploy/${key.project}/${key.environment}`, clusterWatcherWorkflowId(taskQueue)]).catch(() => undefined);
    await core?.deleteNamespace({ name: env.namespace }).catch(() => undefined);
    await observer?.connection.close();
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('undoes a hand edit of a field the environment applied within seconds, naming who changed it', async () => {
    const editedAt = Date.now();
    await apps.patchNamespacedDeployment(
      { name: key.project, namespace: env.namespace, fieldManager: 'kubectl-edit', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/watch/web:hand-edited' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await waitFor('the image to be put back', async () => {
      const deployment = await apps.readNamespacedDeployment({ name: key.project, namespace: env.namespace });
      return deployment.spec?.template.spec?.containers[0]?.image === 'registry.example/watch/web:1' ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    const correctedMs = Date.now() - editedAt;
    console.info(`hand edit corrected in ${correctedMs} ms`);
    const row = await waitFor('the correction to be recorded', async () =>
      (await driftRows()).find((r) => r.reason?.includes(`noticed: Deployment/${key.project} in ${env.namespace}: fields the environment applied were changed by kubectl-edit`)));
    expect(row).toMatchObject({ status: 'corrected', requested_by: 'deployer (cluster)' });
  });

  it('recreates a deleted object', async () => {
    const before = (await driftRows()).length;
    await core.deleteNamespacedConfigMap({ name: `${key.project}-config`, namespace: env.namespace });
    const recreated = await waitFor('the ConfigMap to be back', async () =>
      core.readNamespacedConfigMap({ name: `${key.project}-config`, namespace: env.namespace }).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 100 });
    expect(recreated.data?.environment).toBe('dev');
    const row = await waitFor('the correction to be recorded', async () =>
      (await driftRows()).slice(before).find((r) => r.reason?.includes(`ConfigMap/${key.project}-config in ${env.namespace} deleted`)));
    expect(row).toMatchObject({ status: 'corrected', requested_by: 'deployer (cluster)' });
  });

  it('catches up, after its worker went away, with a deletion made while nobody watched', async () => {
    const before = (await driftRows()).length;
    // Another worker of the task queue will take the watcher over.
    await real.close([]);
    await core.deleteNamespacedService({ name: key.project, namespace: env.namespace });
    real = await start();
    const service = await waitFor('the Service to be back', async () =>
      core.readNamespacedService({ name: key.project, namespace: env.namespace }).catch(() => undefined), { timeoutMs: 60_000, intervalMs: 250 });
    expect(service.metadata?.name).toBe(key.project);
    const row = await waitFor('the correction to be recorded', async () =>
      (await driftRows()).slice(before).find((r) => r.reason?.includes(`Service/${key.project} in ${env.namespace} deleted`)));
    expect(row).toMatchObject({ status: 'corrected', requested_by: 'deployer (cluster)' });
  });

  it('catches up after its worker was killed -9, with a deletion made while nobody watched', async () => {
    const before = (await driftRows()).length;
    // The watcher and the environment move to a worker process, which is then killed outright:
    // no shutdown, no last heartbeat, the activity just stops answering.
    await real.close([]);
    const bundleDir = await mkdtemp(join(tmpdir(), 'deployer-watch-bundle-'));
    dirs.push(bundleDir);
    const since = Date.now();
    const child = await startWorkerChild({
      bundleFile: await writeWorkflowBundle(bundleDir),
      taskQueue,
      env: { DEPLOYER_REPO_CACHE_DIR: cacheDir, DEPLOYER_ALLOW_FILE_URLS: 'true' },
    });
    try {
      const deployment = await apps.readNamespacedDeployment({ name: key.project, namespace: env.namespace });
      await watcherKnows(deployment.metadata!.uid!, { pid: child.pid, since: since - 1000 });
    } finally {
      await child.kill();
    }
    await core.deleteNamespacedConfigMap({ name: `${key.project}-config`, namespace: env.namespace });
    real = await start();
    const recreated = await waitFor('the ConfigMap to be back', async () =>
      core.readNamespacedConfigMap({ name: `${key.project}-config`, namespace: env.namespace }).catch(() => undefined), { timeoutMs: 90_000, intervalMs: 250 });
    expect(recreated.data?.environment).toBe('dev');
    const row = await waitFor('the correction to be recorded', async () =>
      (await driftRows()).slice(before).find((r) => r.reason?.includes(`ConfigMap/${key.project}-config in ${env.namespace} deleted`)));
    expect(row).toMatchObject({ status: 'corrected', requested_by: 'deployer (cluster)' });
  });
});
