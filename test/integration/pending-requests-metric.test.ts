// deployer_pending_requests on the worker's /metrics: the workflow reports its pending slot to the
// worker it runs on, and a scrape reads that from memory. However often Prometheus scrapes, no
// workflow is queried (before, every scrape queried every registered environment's workflow).
import { Client, Connection } from '@temporalio/client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack/wait.js';
import { createApp } from '../../src/api/app.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker, type RealWorker } from '../support/real-worker.js';
import { registerSampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import * as k8s from '@kubernetes/client-node';

describe('the pending-requests gauge', () => {
  const suffix = uniqueSuffix();
  const key = { project: `pending-${suffix}`, environment: 'dev' };
  const workflowId = `deploy/${key.project}/${key.environment}`;
  const dirs: string[] = [];
  let real: RealWorker;
  let connection: Connection;
  let queries = 0;
  let scrape: () => Promise<string>;

  beforeAll(async () => {
    installQuietRuntime();
    const pool = getPool(testEnv.databaseUrl);
    await migrate(pool);
    const cacheDir = await mkdtemp(join(tmpdir(), 'deployer-pending-cache-'));
    // Twenty seconds between releases: a second request right after the first waits in the slot.
    const env = await registerSampleEnvironment(pool, key.project, key.environment, { minIntervalMs: 20_000, driftIntervalMs: 600_000, healthTimeoutMs: 120_000 });
    dirs.push(env.dir, cacheDir);
    real = await startRealWorker({ taskQueue: `pending-${suffix}`, pool, kubeConfig: loadKubeConfig(testEnv.kubeconfig), repoCacheDir: cacheDir });
    // The API's own client counts every query it sends to a workflow.
    connection = await Connection.connect({ address: testEnv.temporalAddress });
    const counting = new Client({
      connection,
      namespace: testEnv.temporalNamespace,
      interceptors: { workflow: [{ query: (input, next) => ((queries += 1), next(input)) }] },
    });
    const app = createApp({ pool, temporalClient: counting, taskQueue: `pending-${suffix}`, allowFileUrls: true });
    scrape = async () => {
      const response = await app.request('/metrics');
      expect(response.status).toBe(200);
      return response.text();
    };
  });
  afterAll(async () => {
    await real?.close([workflowId]);
    await connection?.close();
    const core = loadKubeConfig(testEnv.kubeconfig).makeApiClient(k8s.CoreV1Api);
    await core.deleteNamespace({ name: `${key.project}-dev` }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const gauge = (text: string) => Number(/^deployer_pending_requests (\d+)$/m.exec(text)?.[1]);

  it('counts a request while it waits in its slot, from what the workflow reported, and asks no workflow on a scrape', async () => {
    const first = await real.deployer.deploy({ ...key, imageRef: 'registry.example/pending/web:1', requestedBy: 'tests' });
    await real.deployer.waitForRelease(key, first.requestId, { timeoutMs: 90_000 });
    expect(gauge(await scrape())).toBe(0);

    const second = await real.deployer.deploy({ ...key, imageRef: 'registry.example/pending/web:2', requestedBy: 'tests' });
    await waitFor('the gauge to count the waiting request', async () => (gauge(await scrape()) === 1 ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    queries = 0;
    for (let i = 0; i < 10; i++) expect(gauge(await scrape())).toBe(1);
    expect(queries).toBe(0);
    expect((await real.deployer.state(key))?.pending?.requestId).toBe(second.requestId);

    // Its turn comes: the slot empties, and the gauge says so.
    await waitFor('the gauge to drop the request once it runs', async () => (gauge(await scrape()) === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    const released = await real.deployer.waitForRelease(key, second.requestId, { timeoutMs: 90_000 });
    expect(released).toMatchObject({ imageRef: 'registry.example/pending/web:2', status: 'healthy' });
  });
});
