// Runs the worker with the real activities until stopped, and serves its /metrics.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Config } from '../config.js';
import { getPool } from '../db/pool.js';
import { loadKubeConfig } from '../k8s/kubeconfig.js';
import { registry } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { createDeployerWorker } from '../worker/create-worker.js';

export interface RunningWorker {
  /** resolves when the worker has stopped */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function metricsApp(): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  app.get('/healthz', (c) => c.json({ ok: true }));
  return app;
}

export async function runWorker(config: Config, logger: Logger, { serveMetrics = true } = {}): Promise<RunningWorker> {
  const { worker, connection } = await createDeployerWorker({
    temporalAddress: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      pool: getPool(config.databaseUrl),
      kubeConfig: loadKubeConfig(config.kubeconfig),
      repoCacheDir: config.repoCacheDir,
      allowFileUrls: config.allowFileUrls,
      defaultPolicy: config.defaultPolicy,
      defaultServiceAccount: config.defaultServiceAccount,
    },
  });
  const metricsServer = serveMetrics
    ? serve({ fetch: metricsApp().fetch, port: config.workerMetricsPort, hostname: config.api.host })
    : undefined;
  logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address, metricsPort: serveMetrics ? config.workerMetricsPort : undefined }, 'worker started');
  const done = worker.run().finally(async () => {
    metricsServer?.close();
    await connection.close();
    logger.info('worker stopped');
  });
  return {
    done,
    async stop() {
      // The SDK also stops the worker on SIGINT/SIGTERM by itself; it may be draining already.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
