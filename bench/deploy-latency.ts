// How long from a deploy request to a healthy release, on the local stack with the real worker,
// activities and API (the system `npm start` runs). Usage: `npx tsx bench/deploy-latency.ts [N]`
// with the stack up (`npm run stack -- up`). Prints per-phase medians and percentiles.
import { Client, Connection } from '@temporalio/client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEnv, stackStatus } from '../scripts/stack/index.js';
import { DeployerClient } from '../src/client/deployer-client.js';
import { loadConfig } from '../src/config.js';
import { createLogger, installTemporalLogging } from '../src/observability/logger.js';
import { startSystem } from '../worker/start-system.js';

const runs = Number(process.argv[2] ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  if (!(await stackStatus()).ok) throw new Error('the stack is not up: npm run stack -- up');
  const dir = await mkdtemp(join(tmpdir(), 'deployer-bench-'));
  const suffix = Math.random().toString(36).slice(2, 8);
  const target = { project: `bench-${suffix}`, environment: 'dev', namespace: `bench-${suffix}-dev`, image: 'registry.example/bench/web:0' };
  const env = { ...stackEnv(), DEPLOYER_ALLOW_FILE_URLS: 'true', DEPLOYER_TASK_QUEUE: `bench-${suffix}`, DEPLOYER_REPO_CACHE_DIR: join(dir, 'repos') };
  const config = loadConfig(env);
  const logger = createLogger('error', 'bench');
  installTemporalLogging(logger);
  // A 1 ms minimum interval, so the numbers are the deployer's own latency, not the policy's wait.
  const system = await startSystem({
    config: { ...config, api: { host: '127.0.0.1', port: 0 } },
    logger,
    sampleRepoDir: join(dir, 'ops-repo'),
    sample: target,
    samplePolicy: { minIntervalMs: 1 },
    adminTokenFile: join(dir, 'admin-token'),
    onProgress: () => undefined,
  });
  const connection = await Connection.connect({ address: config.temporal.address });
  const deployer = new DeployerClient({ client: new Client({ connection, namespace: config.temporal.namespace }), taskQueue: config.temporal.taskQueue });
  const totals: number[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      const started = performance.now();
      const { requestId } = await deployer.deploy({ ...target, imageRef: `registry.example/bench/web:${i}`, requestedBy: 'bench' });
      await deployer.waitForRelease(target, requestId, { pollIntervalMs: 10, timeoutMs: 60_000 });
      totals.push(performance.now() - started);
    }
  } finally {
    await connection.close();
    await system.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const sorted = [...totals].sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`deploy request → healthy release, ${runs} sequential deploys of a 3-object app (Deployment with 2 replicas, Service, ConfigMap):`);
  console.log(`  min ${fmt(sorted[0]!)}  p50 ${fmt(percentile(sorted, 50))}  p90 ${fmt(percentile(sorted, 90))}  max ${fmt(sorted.at(-1)!)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
