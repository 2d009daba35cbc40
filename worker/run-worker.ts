// Runs the worker with the real activities until stopped, and serves its /metrics, /healthz and
// /readyz.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Config } from '../src/config.js';
import { getPool } from '../src/db/pool.js';
import { loadKubeConfig } from '../src/k8s/kubeconfig.js';
import { registry } from '../src/observability/metrics.js';
import { wedgedWorkflows, type WedgedWorkflows } from '../src/observability/wedged-workflows.js';
import type { Logger } from '../src/observability/logger.js';
import { createDeployerWorker } from './create-worker.js';
import { startOpsRepoPollers } from '../src/system/start-ops-repo-pollers.js';
import { ensureClusterWatcher } from '../src/system/ensure-cluster-watcher.js';

export interface RunningWorker {
  /** resolves when the worker has stopped */
  done: Promise<void>;
  stop(): Promise<void>;
}

const listedWedged = 20;

export function metricsApp({ wedged = wedgedWorkflows }: { wedged?: WedgedWorkflows } = {}): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  app.get('/healthz', (c) => c.json({ ok: true }));
  // Not ready while this worker's workflow code fails to replay some workflow's history: a
  // rollout of such a version then stops at its first pod instead of wedging every environment.
  app.get('/readyz', (c) => {
    const workflows = wedged.list();
    if (workflows.length === 0) return c.json({ ok: true });
    return c.json({
      ok: false,
      error: `${workflows.length} workflow(s) wedged by nondeterminism: this worker's workflow code does not replay their history; roll the worker back or add patched()`,
      wedged: workflows.length,
      workflows: workflows.slice(0, listedWedged),
    }, 503);
  });
  return app;
}

export interface RunWorkerOptions {
  /** serve /metrics, /healthz and /readyz on the worker metrics port */
  serveMetrics?: boolean;
  /** a pre-built workflow bundle instead of bundling workflows/ at start */
  workflowBundle?: { code: string };
}

export async function runWorker(config: Config, logger: Logger, { serveMetrics = true, workflowBundle }: RunWorkerOptions = {}): Promise<RunningWorker> {
  const { worker, connection, client } = await createDeployerWorker({
    temporal: config.temporal,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle,
    sizing: config.workerSizing,
    deps: {
      pool: getPool(config.databaseUrl),
      kubeConfig: loadKubeConfig(config.kubeconfig),
      repoCacheDir: config.repoCacheDir,
      allowFileUrls: config.allowFileUrls,
      defaultPolicy: config.defaultPolicy,
      defaultServiceAccount: config.defaultServiceAccount,
      payloadKeys: config.temporal.payloadKeys,
    },
  });
  await ensureClusterWatcher(client, config.temporal.taskQueue);
  const metricsServer = serveMetrics
    ? serve({ fetch: metricsApp().fetch, port: config.workerMetricsPort, hostname: config.api.host })
    : undefined;
  logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address, metricsPort: serveMetrics ? config.workerMetricsPort : undefined }, 'worker started');
  const done = worker.run().finally(async () => {
    metricsServer?.close();
    await connection.close();
    await client.connection.close();
    logger.info('worker stopped');
  });
  if (config.startPollers) void startOpsRepoPollers(client, getPool(config.databaseUrl), config.temporal.taskQueue, logger);
  return {
    done,
    async stop() {
      // The SDK also stops the worker on SIGINT/SIGTERM by itself; it may be draining already.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
