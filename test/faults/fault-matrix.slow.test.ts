// The fault matrix: one environment on the real worker (its own process), the real Temporal,
// Kubernetes and Postgres of the stack, and a release per fault: the worker killed (-9) in each
// step, Postgres down for two minutes, etcd and then the API server down for a minute. After every
// fault: the release is healthy with its image, the worker that was not killed is the same process,
// the workflow still runs, and the record has exactly one final row per request. The time each
// release took to recover from its fault is printed.
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_NAME, upKubernetes } from '../../scripts/stack/kubernetes.js';
import { downPostgres, startLocalPostgres } from '../../scripts/stack/postgres.js';
import { runningPid, stopProcess } from '../../scripts/stack/processes.js';
import { waitFor } from '../../scripts/stack/wait.js';
import { createApp } from '../../src/api/app.js';
import { DeployerClient } from '../../src/client/deployer-client.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import type { Step } from '../../workflows/state.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { registerSampleEnvironment, type SampleEnvironment } from '../support/sample-environment.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';
import { startWorkerChild, writeWorkflowBundle, type WorkerChild } from '../support/worker-child.js';

const execFileAsync = promisify(execFile);

/** Holds one step of a deployment open until released, so the worker can be killed inside it. */
interface Hold {
  engage(): Promise<void>;
  release(): Promise<void>;
  /** whether the release has reached the hold and waits at it (when the hold can tell) */
  reached?(): Promise<boolean>;
}

describe('the fault matrix', () => {
  const suffix = uniqueSuffix();
  const key = { project: `faults-${suffix}`, environment: 'dev' };
  const taskQueue = `faults-${suffix}`;
  const workflowId = `deploy/${key.project}/${key.environment}`;
  const dirs: string[] = [];
  const requests: Array<{ requestId: string; imageRef: string }> = [];
  const recovery: Array<{ fault: string; recoveredMs: number; note: string }> = [];
  let env: SampleEnvironment;
  let cacheDir: string;
  let bundleFile: string;
  let worker: WorkerChild;
  let deployer: DeployerClient;
  let connection: Connection;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  const pool = () => getPool(testEnv.databaseUrl);

  const startWorker = () =>
    startWorkerChild({ bundleFile, taskQueue, env: { DEPLOYER_REPO_CACHE_DIR: cacheDir, DEPLOYER_ALLOW_FILE_URLS: 'true' } });

  async function deploy(tag: string, valuesOverride?: Record<string, unknown>) {
    const imageRef = `registry.example/faults/web:${tag}`;
    const accepted = await deployer.deploy({ ...key, imageRef, requestedBy: 'faults', ...(valuesOverride ? { valuesOverride } : {}) });
    requests.push({ requestId: accepted.requestId, imageRef });
    return { ...accepted, imageRef };
  }

  async function healthy(request: { requestId: string; imageRef: string }, timeoutMs = 240_000) {
    const release = await deployer.waitForRelease(key, request.requestId, { timeoutMs });
    expect(release).toMatchObject({ status: 'healthy', imageRef: request.imageRef });
    const deployment = await apps.readNamespacedDeployment({ name: key.project, namespace: env.namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(request.imageRef);
    return release;
  }

  /** Every request so far: one history row, final; the workflow running; the worker alive. */
  async function assertBooksBalance(): Promise<number> {
    const rows = await waitFor('every history row to be final', async () => {
      const { rows: current } = await pool().query<{ request_id: string; status: string; n: string }>(
        `SELECT request_id, min(status) AS status, count(*) AS n FROM deployment_history
          WHERE project = $1 AND action <> 'drift' GROUP BY request_id`,
        [key.project],
      );
      return current.some((row) => row.status === 'in-progress') ? undefined : current;
    }, { timeoutMs: 60_000 });
    const byRequest = new Map(rows.map((row) => [row.request_id, row]));
    for (const request of requests) expect(byRequest.get(request.requestId), request.imageRef).toMatchObject({ status: 'healthy', n: '1' });
    expect(rows).toHaveLength(requests.length); // no auto-rollback, nothing extra
    expect((await deployer.workflowStatus(key))?.status).toBe('RUNNING');
    expect(worker.alive()).toBe(true);
    return rows.length;
  }

  /** Holds a step with a table lock that its query waits for: the step stays in flight until released. */
  function tableLock(table: string, mode: string): Hold {
    let client: pg.PoolClient | undefined;
    return {
      async engage() {
        client = await pool().connect();
        await client.query('BEGIN');
        await client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
      },
      async release() {
        await client?.query('ROLLBACK');
        client?.release();
        client = undefined;
      },
      async reached() {
        const { rows } = await pool().query(`SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = $1 AND NOT l.granted`, [table]);
        return rows.length > 0;
      },
    };
  }

  /** Holds the ops repo sync: the worker's mirror fetches through an upload-pack that waits while a file exists. */
  function gitHold(): Hold {
    const holdFile = join(tmpdir(), `deployer-faults-git-hold-${suffix}`);
    return {
      async engage() {
        const script = join(cacheDir, 'held-upload-pack.sh');
        await writeFile(script, `#!/bin/sh\nwhile [ -e '${holdFile}' ]; do sleep 0.05; done\nexec git-upload-pack "$@"\n`);
        await chmod(script, 0o755);
        const mirror = await findMirror(cacheDir, env.dir);
        // Setting an upload-pack is what simple-git guards against; here it is the point.
        await simpleGit(mirror, { unsafe: { allowUnsafePack: true } }).addConfig('remote.origin.uploadpack', script);
        await writeFile(holdFile, '');
      },
      async release() {
        await rm(holdFile, { force: true });
      },
      async reached() {
        return (await execFileAsync('ps', ['-eo', 'args'])).stdout.includes('held-upload-pack.sh');
      },
    };
  }

  /** Holds the wait for health: the release's pods ask for a node label no node has until released. */
  function nodeHold(label: string): Hold & { values: Record<string, unknown> } {
    const labelKey = 'deployer.test/fault-hold';
    const setLabel = (value: string | null) =>
      core.patchNode({ name: NODE_NAME, body: { metadata: { labels: { [labelKey]: value } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    return {
      values: { nodeSelector: { [labelKey]: label } },
      async engage() {},
      async release() {
        await setLabel(label);
      },
    };
  }

  beforeAll(async () => {
    for (const service of ['postgres', 'etcd', 'kube-apiserver']) {
      if (runningPid(service, service) === undefined) throw new Error(`the fault matrix needs the stack's own ${service} (npm run test:faults starts it)`);
    }
    installQuietRuntime();
    await migrate(pool());
    cacheDir = await mkdtemp(join(tmpdir(), 'deployer-faults-cache-'));
    const bundleDir = await mkdtemp(join(tmpdir(), 'deployer-faults-bundle-'));
    dirs.push(cacheDir, bundleDir);
    env = await registerSampleEnvironment(pool(), key.project, key.environment, { minIntervalMs: 100, driftIntervalMs: 3_600_000, healthTimeoutMs: 300_000 });
    dirs.push(env.dir);
    bundleFile = await writeWorkflowBundle(bundleDir);
    const kubeConfig = loadKubeConfig(testEnv.kubeconfig);
    apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    connection = await Connection.connect({ address: testEnv.temporalAddress });
    deployer = new DeployerClient({ client: new Client({ connection, namespace: testEnv.temporalNamespace }), taskQueue });
    worker = await startWorker();
    await healthy(await deploy('baseline'), 90_000);
  });

  afterAll(async () => {
    console.info(['fault                         recovered in   ', ...recovery.map((r) => `${r.fault.padEnd(30)}${(r.recoveredMs / 1000).toFixed(1).padStart(7)} s   ${r.note}`)].join('\n'));
    if (runningPid('postgres', 'postgres') === undefined) await startLocalPostgres();
    if (runningPid('etcd', 'etcd') === undefined || runningPid('kube-apiserver', 'kube-apiserver') === undefined) await upKubernetes();
    await core?.patchNode({ name: NODE_NAME, body: { metadata: { labels: { 'deployer.test/fault-hold': null } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).catch(() => undefined);
    await deployer?.['options'].client.workflow.getHandle(workflowId).terminate('fault matrix finished').catch(() => undefined);
    await worker?.stop();
    await connection?.close();
    await core?.deleteNamespace({ name: env.namespace }).catch(() => undefined);
    await closePools();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  // A release's load, in-progress row, sync, render and apply are one activity (step apply); each
  // of its parts is held in turn.
  const steps: Array<{ step: Step; part: string; hold: () => Hold & { values?: Record<string, unknown> } }> = [
    { step: 'apply', part: 'load', hold: () => tableLock('environments', 'ACCESS EXCLUSIVE') },
    // the in-progress row is written after the load
    { step: 'apply', part: 'record', hold: () => tableLock('deployment_history', 'EXCLUSIVE') },
    { step: 'apply', part: 'sync', hold: gitHold },
    // render ends by storing the manifest
    { step: 'apply', part: 'render', hold: () => tableLock('rendered_manifests', 'EXCLUSIVE') },
    // apply checks the project's policy before it applies anything
    { step: 'apply', part: 'apply', hold: () => tableLock('project_policies', 'ACCESS EXCLUSIVE') },
    { step: 'health', part: 'health', hold: () => nodeHold(`h-${suffix}`) },
  ];

  it.each(steps)('kill -9 of the worker during $step ($part): another worker finishes the release, once', async ({ step, part, hold: makeHold }) => {
    const hold = makeHold();
    await hold.engage();
    const request = await deploy(`kill-${part}`, hold.values);
    let killedAt = 0;
    try {
      await waitFor(`the release to be held in step ${step} (${part})`, async () => {
        const state = await deployer.state(key);
        const inStep = state?.inFlight?.requestId === request.requestId && state.inFlight.step === step;
        return inStep && (await hold.reached?.()) !== false ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 50 });
    } finally {
      killedAt = Date.now();
      await worker.kill();
      await hold.release();
    }
    worker = await startWorker();
    await healthy(request);
    recovery.push({ fault: `worker killed in ${step} (${part})`, recoveredMs: Date.now() - killedAt, note: 'kill -9 to healthy, new worker process' });
    await assertBooksBalance();
  });

  it('waits out a two-minute Postgres outage: no failed release, no rollback, the worker and API stay up', async () => {
    const app = createApp({ pool: pool(), temporalClient: deployer['options'].client, taskQueue, allowFileUrls: true });
    const pid = worker.pid;
    expect(await downPostgres()).toBe(true);
    const stoppedAt = Date.now();
    const request = await deploy('pg-outage');
    const waitingOn = await waitFor('status to say the release waits for PostgreSQL', async () => {
      const said = (await deployer.workflowStatus(key))?.waitingOn;
      return said?.includes('PostgreSQL') ? said : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(waitingOn).toMatch(/^applyRelease waits for PostgreSQL: unreachable since \S+ \(.*\)$/);
    expect((await app.request('/readyz')).status).toBe(503);
    // The outage itself: two minutes of Postgres being gone, whatever else happens meanwhile.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 120_000 - (Date.now() - stoppedAt))));
    expect(worker.alive()).toBe(true);
    await startLocalPostgres();
    const startedAt = Date.now();
    await healthy(request);
    recovery.push({ fault: 'Postgres down 120 s', recoveredMs: Date.now() - startedAt, note: `Postgres back to healthy; down ${((startedAt - stoppedAt) / 1000).toFixed(0)} s` });
    expect(worker.pid).toBe(pid);
    expect((await app.request('/readyz')).status).toBe(200);
    await assertBooksBalance();
  }, 360_000);

  for (const service of ['etcd', 'kube-apiserver'] as const) {
    it(`waits out ${service} stopped for a minute during the apply`, async () => {
      const pid = worker.pid;
      // Killed, as a crash or a node loss would.
      expect(await stopProcess(service, service, { signal: 'SIGKILL' })).toBe(true);
      const stoppedAt = Date.now();
      const request = await deploy(`${service}-outage`);
      const waitingOn = await waitFor('status to say the release waits for Kubernetes', async () => {
        const said = (await deployer.workflowStatus(key))?.waitingOn;
        return said?.includes('Kubernetes') ? said : undefined;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      expect(waitingOn).toMatch(/^applyRelease waits for Kubernetes: unreachable since /);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 60_000 - (Date.now() - stoppedAt))));
      await upKubernetes();
      const startedAt = Date.now();
      await healthy(request);
      recovery.push({ fault: `${service} down 60 s`, recoveredMs: Date.now() - startedAt, note: `back to healthy; down ${((startedAt - stoppedAt) / 1000).toFixed(0)} s` });
      expect(worker.pid).toBe(pid);
      await assertBooksBalance();
    }, 300_000);
  }
});

/** The worker's bare mirror of the ops repo at `repoDir` (found by its origin URL). */
async function findMirror(cacheDir: string, repoDir: string): Promise<string> {
  const candidates: string[] = [];
  const walk = async (dir: string, depth: number) => {
    if (existsSync(join(dir, 'config')) && existsSync(join(dir, 'objects'))) candidates.push(dir);
    if (depth === 0) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) await walk(join(dir, entry.name), depth - 1);
  };
  await walk(cacheDir, 3);
  for (const dir of candidates) if ((await readFile(join(dir, 'config'), 'utf8')).includes(repoDir)) return dir;
  throw new Error(`no mirror of ${repoDir} under ${cacheDir}`);
}
