// The system as `npm start` runs it (same startSystem path): the sample becomes healthy, the API
// reports it, a deploy through the CLI goes through, and /metrics counts it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCli } from '../../src/cli.js';
import { createLogger } from '../../src/observability/logger.js';
import { startSystem, type RunningSystem } from '../../worker/start-system.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

describe('the whole system, started the way npm start starts it', () => {
  const project = `sys-${uniqueSuffix()}`;
  const taskQueue = `sys-${uniqueSuffix()}`;
  const target = { project, environment: 'dev', namespace: `${project}-dev`, image: 'registry.example/sample/web:1.0.0' };
  let dir: string;
  let system: RunningSystem;
  const env = () => ({
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    KUBECONFIG: testEnv.kubeconfig,
    DEPLOYER_TASK_QUEUE: taskQueue,
    DEPLOYER_ALLOW_FILE_URLS: 'true',
    DEPLOYER_USER: 'system-test',
    // The test database holds the ops repos of every earlier run, most of them long deleted.
    DEPLOYER_START_POLLERS: 'false',
  });

  beforeAll(async () => {
    installQuietRuntime();
    dir = await mkdtemp(join(tmpdir(), 'deployer-system-'));
    const config = loadConfig({ ...env(), DEPLOYER_REPO_CACHE_DIR: join(dir, 'repos'), DEPLOYER_LOG_LEVEL: 'warn' });
    system = await startSystem({
      config: { ...config, api: { host: '127.0.0.1', port: 0 } },
      logger: createLogger('warn', 'system-test'),
      sampleRepoDir: join(dir, 'ops-repo'),
      sample: target,
      samplePolicy: { minIntervalMs: 200 },
      adminTokenFile: join(dir, 'admin-token'),
      onProgress: () => undefined,
    });
  });
  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function api(path: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${system.apiUrl}${path}`, { headers: { Authorization: `Bearer ${system.adminToken}` } });
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text() };
  }

  function metric(text: string, name: string, labels: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('serves the healthy sample, deploys through the CLI and counts it in /metrics', async () => {
    const detail = await waitFor('the sample to be healthy through the API', async () => {
      const { status, body } = await api(`/api/projects/${project}/deployments/dev`);
      return status === 200 && body.deployment?.current_status === 'healthy' ? body : undefined;
    });
    expect(detail.deployment.current_image).toBe('registry.example/sample/web:1.0.0');
    const before = metric((await api('/metrics')).body, 'deployer_deployments_total', 'action="deploy",outcome="healthy"');
    expect(before).toBeGreaterThanOrEqual(1);

    const out: string[] = [];
    const code = await runCli(['deploy', '--project', project, '--env', 'dev', '--image', 'registry.example/sample/web:1.1.0', '--wait'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      // through the API, as the tour does it with the admin token npm start prints
      env: { ...env(), DEPLOYER_URL: system.apiUrl, DEPLOYER_TOKEN: system.adminToken },
    });
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^healthy: #2 registry\.example\/sample\/web:1\.1\.0/);

    const metrics = await waitFor('the deployment to be counted', async () => {
      const { body } = await api('/metrics');
      return metric(body, 'deployer_deployments_total', 'action="deploy",outcome="healthy"') === before + 1 ? body : undefined;
    });
    expect(metrics).toContain('# TYPE deployer_deployment_duration_seconds histogram');
    expect(metric(metrics, 'deployer_deployment_duration_seconds_count', 'action="deploy",outcome="healthy"')).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/^deployer_pending_requests \d+$/m);
    const after = await api(`/api/projects/${project}/deployments/dev`);
    expect(after.body.deployment.current_image).toBe('registry.example/sample/web:1.1.0');
  });
});
