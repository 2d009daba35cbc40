// A small, realistic fleet behind a running dashboard, on the local stack: two projects of the
// sample application deployed by a real worker (one environment with a second release, its own
// values and a drift corrected after someone scaled it by hand; one stopped), a read token, and
// the API on a free port. The accessibility test and
// the screenshot script (scripts/dashboard-screenshots.ts) both look at it. Names come from a
// prefix: a test passes a unique one; the script passes a fixed one, so set-up first removes what
// an earlier run with that prefix left, and the fleet can be made again and again.
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/api/app.js';
import { startApiServer } from '../../src/api/listen.js';
import { createApiToken, revokeApiToken } from '../../src/auth/tokens.js';
import { DeployerClient } from '../../src/client/deployer-client.js';
import { migrate } from '../../src/db/migrate.js';
import { getPool } from '../../src/db/pool.js';
import type { EnvironmentRef } from '../../src/domain/vocabulary.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { ensureSampleRepo, registerSample, sample } from '../../src/system/sample.js';
import { createDeployerWorker } from '../../worker/create-worker.js';
import { environmentWorkflowId, reconcileSignal } from '../../workflows/messages.js';

export interface DashboardFleetOptions {
  /** every project's name starts with it */
  prefix: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  kubeconfig: string;
  temporalUiUrl?: string;
  /** a pre-built workflow bundle (tests share one); otherwise the worker bundles workflows/ */
  workflowBundle?: { code: string };
  onProgress?: (line: string) => void;
}

export interface DashboardFleet {
  /** the dashboard's origin, e.g. http://127.0.0.1:40123 */
  base: string;
  /** a token with deploy:read for every project */
  readerToken: string;
  /** a token that may also deploy, roll back, stop, cancel and approve: its pages show every action */
  operatorToken: string;
  projects: string[];
  /** the environment with the richest page: two releases, the second with values of its own, then a drift corrected */
  showcase: EnvironmentRef;
  /** storefront/prod, healthy with one release: for a test's own requests */
  spare: EnvironmentRef;
  /** sends requests to the fleet's worker */
  deployer: DeployerClient;
  /** the task queue of the fleet's workflows (what the CLI's DEPLOYER_TASK_QUEUE names) */
  taskQueue: string;
  /** stops the worker and the API, and removes the fleet: workflows, records, namespaces */
  close(): Promise<void>;
}

const IMAGE_NEXT = sample.image.replace(/:[^:]+$/, ':1.1.0');

function fleetNames(prefix: string) {
  const storefront = `${prefix}-storefront`;
  const payments = `${prefix}-payments`;
  const environments: EnvironmentRef[] = [
    { project: storefront, environment: 'dev' },
    { project: storefront, environment: 'prod' },
    { project: payments, environment: 'dev' },
  ];
  return { projects: [storefront, payments], environments, showcase: environments[0]! };
}

const namespaceOf = (ref: EnvironmentRef) => `${ref.project}-${ref.environment}`.slice(0, 63).replace(/-+$/, '');

export async function startDashboardFleet(options: DashboardFleetOptions): Promise<DashboardFleet> {
  const say = options.onProgress ?? (() => undefined);
  const names = fleetNames(options.prefix);
  const pool = getPool(options.databaseUrl);
  await migrate(pool);
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const scratch = await mkdtemp(join(tmpdir(), 'dashboard-fleet-'));
  const taskQueue = `${options.prefix}-dashboard-fleet`;
  const { worker, connection, client } = await createDeployerWorker({
    temporal: { address: options.temporalAddress },
    namespace: options.temporalNamespace,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    deps: { pool, kubeConfig, repoCacheDir: join(scratch, 'cache'), allowFileUrls: true },
  });
  const running = worker.run();
  const deployer = new DeployerClient({ client, taskQueue });

  /** What a run with this prefix leaves: its workflows, its records (the audit log keeps its lines) and its namespaces. */
  async function remove(): Promise<void> {
    for (const ref of names.environments) {
      await client.workflow.getHandle(environmentWorkflowId(ref.project, ref.environment)).terminate('dashboard fleet removed').catch(() => undefined);
    }
    await pool.query('DELETE FROM deployment_history WHERE project = ANY($1)', [names.projects]);
    // Environments, their deployments, applied objects and namespace claims go with their project.
    await pool.query('DELETE FROM projects WHERE name = ANY($1)', [names.projects]);
    await pool.query('DELETE FROM ops_repos WHERE name = ANY($1)', [names.projects.map((project) => `${project}-ops`)]);
    for (const ref of names.environments) await core.deleteNamespace({ name: namespaceOf(ref) }).catch(() => undefined);
    // A namespace being deleted refuses new objects: wait until each is gone before anything is applied again.
    const deadline = Date.now() + 120_000;
    for (const ref of names.environments) {
      while (await core.readNamespace({ name: namespaceOf(ref) }).then(() => true, () => false)) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespaceOf(ref)} is still being deleted after 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  let reader: { id: number; token: string } | undefined;
  let operator: { id: number; token: string } | undefined;
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  const close = async () => {
    await server?.close();
    for (const token of [reader, operator]) if (token) await revokeApiToken(pool, token.id);
    await remove();
    worker.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
    await rm(scratch, { recursive: true, force: true });
  };

  try {
    say(`removing what an earlier run with prefix ${options.prefix} left`);
    await remove();
    const repoUrl = await ensureSampleRepo(join(scratch, 'ops'));
    for (const ref of names.environments) {
      await registerSample(pool, { ...sample, ...ref, namespace: namespaceOf(ref) }, repoUrl, { minIntervalMs: 0 });
    }
    const release = async (ref: EnvironmentRef, imageRef: string, reason: string, valuesOverride?: Record<string, unknown>) => {
      say(`deploying ${imageRef} to ${ref.project}/${ref.environment}`);
      const { requestId } = await deployer.deploy({ ...ref, imageRef, valuesOverride, requestedBy: 'ci/release-pipeline', reason });
      await deployer.waitForRelease(ref, requestId, { timeoutMs: 5 * 60_000 });
    };
    /** Someone scales the environment's Deployment by hand; the cluster watcher's signal (sent here, as no watcher runs) has the drift pass put it back. */
    const driftAndCorrect = async (ref: EnvironmentRef) => {
      say(`scaling ${ref.project}/${ref.environment} by hand, and waiting for the drift pass to put it back`);
      const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
      const namespace = namespaceOf(ref);
      const [deployment] = (await apps.listNamespacedDeployment({ namespace })).items;
      const name = deployment!.metadata!.name!;
      await apps.replaceNamespacedDeploymentScale({ name, namespace, body: { metadata: { name, namespace }, spec: { replicas: 1 } } });
      await client.workflow.getHandle(environmentWorkflowId(ref.project, ref.environment)).signal(reconcileSignal, { source: 'cluster', detail: `Deployment/${name} scaled to 1 by hand` });
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { rowCount } = await pool.query("SELECT 1 FROM deployment_history WHERE project = $1 AND environment = $2 AND status = 'corrected'", [ref.project, ref.environment]);
        if (rowCount) return;
        if (Date.now() > deadline) throw new Error(`no drift correction of ${ref.project}/${ref.environment} recorded within 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const [storefrontDev, storefrontProd, paymentsDev] = names.environments as [EnvironmentRef, EnvironmentRef, EnvironmentRef];
    await Promise.all([
      release(storefrontDev, sample.image, 'first release')
        .then(() => release(storefrontDev, IMAGE_NEXT, 'new checkout page', { replicas: 3, greeting: 'hello from the new checkout' }))
        .then(() => driftAndCorrect(storefrontDev)),
      release(storefrontProd, sample.image, 'promote 1.0.0 to prod'),
      release(paymentsDev, sample.image, 'first release').then(async () => {
        say(`stopping ${paymentsDev.project}/${paymentsDev.environment}`);
        const { requestId } = await deployer.stop({ ...paymentsDev, requestedBy: 'alice', reason: 'paused while the bank sandbox is down' });
        await deployer.waitForRequest(paymentsDev, requestId, { timeoutMs: 5 * 60_000 });
      }),
    ]);

    reader = await createApiToken(pool, { name: `${options.prefix}-dashboard-reader`, scopes: ['deploy:read'] });
    operator = await createApiToken(pool, { name: `${options.prefix}-dashboard-operator`, scopes: ['deploy:read', 'deploy:promote', 'deploy:approve'] });
    const app = createApp({ pool, temporalClient: client, taskQueue, allowFileUrls: true, workflowQueryTimeoutMs: 5_000, temporalUiUrl: options.temporalUiUrl });
    server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
    return { base: `http://127.0.0.1:${server.port}`, readerToken: reader.token, operatorToken: operator.token, projects: names.projects, showcase: names.showcase, spare: storefrontProd, deployer, taskQueue, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
