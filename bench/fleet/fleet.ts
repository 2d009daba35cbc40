// Sets up a fleet for one benchmark run and takes it down again: its own database (migrated by
// the code under test), one shared ops repo, N environments registered directly in Postgres, one
// namespace each on the run's own kwok nodes, and K worker processes of the code under test on
// the run's own task queue. Nothing deploys yet: deploy-fleet.ts does that.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as k8s from '@kubernetes/client-node';
import pg from 'pg';
import { stackEnv, stackStatus } from '../../scripts/stack/index.js';
import { DeployerClient } from '../../src/client/deployer-client.js';
import type { EnvironmentRegistration } from '../../src/db/environments.js';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { createFleetNodes, createNamespaces, deleteFleetFromCluster, loadKube, placementFor, waitForReadyNodes } from './cluster.js';
import { inBatches } from './concurrency.js';
import { awaitQuietMachine } from './machine.js';
import { createDatabase, dropDatabase, migrateWith } from './database.js';
import { createOpsRepo, fleetAppPath, manifestPath, type FleetOpsRepo } from './ops-repo.js';
import { workerEntry, type FleetOptions } from './options.js';
import { startDeployerProcess, type DeployerProcess } from './processes.js';

export interface FleetEnvironment {
  environment: string;
  namespace: string;
}

export interface Fleet {
  options: FleetOptions;
  /** short random id naming everything this run creates */
  run: string;
  project: string;
  environments: FleetEnvironment[];
  opsRepo: FleetOpsRepo;
  /** the commit of the code under test (with "+dirty" when its tree has changes) */
  codeCommit: string;
  databaseUrl: string;
  pool: pg.Pool;
  kube: k8s.KubeConfig;
  kubeconfig: string;
  temporal: Client;
  deployer: DeployerClient;
  taskQueue: string;
  workers: DeployerProcess[];
  /** the run's scratch directory: ops repo, repo caches, process logs */
  dir: string;
  /** the environment variables of src/config.ts the deployer's processes get */
  deployerEnv: Record<string, string>;
  /** starts the code under test's API server on this fleet's database and task queue */
  startApiServer(extraEnv?: Record<string, string>): Promise<DeployerProcess>;
  /**
   * Registers one more environment, outside `environments`, rendering `manifestPath` of an ops
   * repo row named `opsRepoName` that covers only `repoPath` of the fleet's repository.
   */
  addEnvironment(environment: string, opsRepoName: string, repoPath: string, manifestPath: string): Promise<FleetEnvironment>;
}

function randomRunId(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, '0');
}

function commitOf(codeDir: string): string {
  try {
    const sha = execFileSync('git', ['-C', codeDir, 'rev-parse', '--short=10', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', codeDir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function environmentName(index: number): string {
  // Not "e0001": the YAML 1.1 reader takes that for a float (NaN) when a template writes it plain.
  return `env-${String(index + 1).padStart(4, '0')}`;
}

const ignoreNotFound = (error: unknown) => (error instanceof WorkflowNotFoundError ? undefined : Promise.reject(error));

/**
 * Terminates the environments' workflows by ID (visibility may not list one that just started),
 * then whatever else still runs on the run's task queues: newer code starts helper workflows of
 * its own there (a cluster watcher, ops repo pollers, a "-background" queue).
 */
async function terminateRunWorkflows(temporal: Client, taskQueue: string, workflowIds: string[]): Promise<void> {
  const reason = 'benchmark finished';
  await inBatches(workflowIds, 16, (id) => temporal.workflow.getHandle(id).terminate(reason).catch(ignoreNotFound));
  const queries = [`TaskQueue STARTS_WITH "${taskQueue}" AND ExecutionStatus = "Running"`, `(TaskQueue = "${taskQueue}" OR TaskQueue = "${taskQueue}-background") AND ExecutionStatus = "Running"`];
  for (const query of queries) {
    try {
      const running: Array<{ workflowId: string; runId: string }> = [];
      for await (const execution of temporal.workflow.list({ query })) running.push(execution);
      await inBatches(running, 16, ({ workflowId, runId }) => temporal.workflow.getHandle(workflowId, runId).terminate(reason).catch(ignoreNotFound));
      return;
    } catch {
      // STARTS_WITH needs a recent visibility store; the second query names the known queues.
    }
  }
}

type RegisterEnvironment = (pool: pg.Pool, registration: EnvironmentRegistration) => Promise<void>;

/** Where undo steps accumulate while the fleet is set up, so a failure half-way still cleans up. */
class Teardown {
  private readonly steps: Array<{ what: string; undo: () => Promise<unknown> }> = [];
  /** set when the run failed: the logs are kept then */
  failed = false;
  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }
  async run(log: (line: string) => void): Promise<void> {
    for (const { what, undo } of this.steps.reverse()) {
      try {
        await undo();
      } catch (error) {
        log(`[fleet] clean-up: ${what} failed: ${(error as Error).message}`);
      }
    }
    this.steps.length = 0;
  }
}

export async function setUpFleet(options: FleetOptions, log: (line: string) => void, teardown: Teardown): Promise<Fleet> {
  const status = await stackStatus();
  if (!status.ok) throw new Error(`the stack is not up:\n${status.lines.join('\n')}`);
  await awaitQuietMachine(log);
  const stack = stackEnv();
  const run = randomRunId();
  const project = `bench-${run}`;
  const taskQueue = `bench-${run}`;
  const dir = await mkdtemp(join(tmpdir(), `deployer-bench-${run}-`));
  teardown.add('remove the scratch directory', async () => {
    if (!teardown.failed) return rm(dir, { recursive: true, force: true });
    // After a failure the process logs say why: only the bulky parts go.
    const entries = await readdir(dir);
    await Promise.all(entries.filter((name) => !name.endsWith('.log')).map((name) => rm(join(dir, name), { recursive: true, force: true })));
    log(`[fleet] the run failed; its process logs are kept in ${dir}`);
  });
  const codeCommit = commitOf(options.codeDir);
  log(`[fleet] run ${run}: ${options.envs} environments, ${options.workers} worker(s) of ${options.codeDir} (${codeCommit}); logs in ${dir}`);

  const databaseName = `deployer_bench_${run}`;
  const databaseUrl = await createDatabase(stack.DATABASE_URL!, databaseName);
  teardown.add('drop the database', () => dropDatabase(stack.DATABASE_URL!, databaseName));
  await migrateWith(options.codeDir, databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  teardown.add('close the database pool', () => pool.end());

  const kubeconfig = stack.KUBECONFIG!;
  const kube = loadKube(kubeconfig);
  teardown.add('delete the namespaces and nodes', async () => {
    const { leftNamespaces } = await deleteFleetFromCluster(kube, run);
    if (leftNamespaces > 0) log(`[fleet] clean-up: ${leftNamespaces} namespace(s) of run ${run} still terminating`);
  });
  const nodes = await createFleetNodes(kube, run, options.envs);
  await waitForReadyNodes(kube, nodes);
  const environments = Array.from({ length: options.envs }, (_, i) => ({ environment: environmentName(i), namespace: `${project}-${environmentName(i)}` }));
  await createNamespaces(kube, run, environments.map((e) => e.namespace));

  const opsRepo = await createOpsRepo(join(dir, 'ops-repo'), `${project}-ops`, placementFor(run));
  // The code under test registers its own rows: its schema is the one migrated above.
  const { registerEnvironment } = (await import(pathToFileURL(join(options.codeDir, 'src/db/environments.ts')).href)) as { registerEnvironment: RegisterEnvironment };
  const register = (env: FleetEnvironment, repo: { name: string; path: string }, path: string) =>
    registerEnvironment(pool, {
      project,
      environment: env.environment,
      opsRepo: { name: repo.name, url: opsRepo.url, branch: opsRepo.branch, path: repo.path },
      manifestPath: path,
      namespace: env.namespace,
      // Deploys start at once: the figures are the deployer's latency, not the policy's wait.
      policy: { minIntervalMs: 1 },
      valuesOverride: { greeting: `hello from ${env.environment}` },
    });
  await inBatches(environments, 8, (env) => register(env, { name: opsRepo.name, path: fleetAppPath }, manifestPath));
  const added: FleetEnvironment[] = [];

  const connection = await Connection.connect({ address: stack.TEMPORAL_ADDRESS! });
  teardown.add('close the Temporal connection', () => connection.close());
  const temporal = new Client({ connection, namespace: stack.TEMPORAL_NAMESPACE });
  const deployer = new DeployerClient({ client: temporal, taskQueue });
  // Registered before the workers start, so it runs after they stopped: no workflow outlives the run.
  teardown.add('terminate the workflows', () => terminateRunWorkflows(temporal, taskQueue, [...environments, ...added].map((e) => environmentWorkflowId(project, e.environment))));

  const deployerEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: stack.TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: stack.TEMPORAL_NAMESPACE!,
    KUBECONFIG: kubeconfig,
    DEPLOYER_TASK_QUEUE: taskQueue,
    DEPLOYER_ALLOW_FILE_URLS: 'true',
    DEPLOYER_LOG_LEVEL: options.logLevel,
    ...(options.driftIntervalMs !== undefined ? { DEPLOYER_DRIFT_INTERVAL_MS: String(options.driftIntervalMs) } : {}),
  };
  const workers: DeployerProcess[] = [];
  for (let i = 0; i < options.workers; i++) {
    // Each worker its own repo cache, as each pod of a Deployment would have.
    const worker = await startDeployerProcess({
      name: `worker-${i + 1}`,
      codeDir: options.codeDir,
      entry: workerEntry(options.codeDir),
      env: { ...deployerEnv, DEPLOYER_REPO_CACHE_DIR: join(dir, `repos-worker-${i + 1}`) },
      portVariable: 'DEPLOYER_WORKER_METRICS_PORT',
      logDir: dir,
    });
    teardown.add(`stop ${worker.name}`, () => worker.stop());
    workers.push(worker);
  }
  log(`[fleet] ${workers.length} worker(s) up (pids ${workers.map((w) => w.pid).join(', ')}), ${environments.length} environments registered, ${nodes.length} kwok node(s)`);
  // The set-up's own work (the cluster filling the new namespaces, the workers starting) ends first.
  await awaitQuietMachine(log);

  return {
    options,
    run,
    project,
    environments,
    opsRepo,
    codeCommit,
    databaseUrl,
    pool,
    kube,
    kubeconfig,
    temporal,
    deployer,
    taskQueue,
    workers,
    dir,
    deployerEnv,
    async startApiServer(extraEnv = {}) {
      const server = await startDeployerProcess({
        name: 'api-server',
        codeDir: options.codeDir,
        entry: 'src/server.ts',
        env: { ...deployerEnv, DEPLOYER_REPO_CACHE_DIR: join(dir, 'repos-api'), ...extraEnv },
        portVariable: 'DEPLOYER_API_PORT',
        logDir: dir,
      });
      teardown.add('stop the API server', () => server.stop());
      return server;
    },
    async addEnvironment(environment, opsRepoName, repoPath, path) {
      const env = { environment, namespace: `${project}-${environment}` };
      await createNamespaces(kube, run, [env.namespace]);
      await register(env, { name: opsRepoName, path: repoPath }, path);
      added.push(env);
      return env;
    },
  };
}

/**
 * Runs `body` on a fresh fleet and always takes the fleet down afterwards (also on Ctrl-C):
 * workflows terminated, processes stopped, namespaces and nodes deleted, database dropped.
 */
export async function withFleet<T>(options: FleetOptions, body: (fleet: Fleet) => Promise<T>, log: (line: string) => void = console.error): Promise<T> {
  const teardown = new Teardown();
  let tornDown: Promise<void> | undefined;
  const cleanUp = () => (tornDown ??= (log('[fleet] cleaning up…'), teardown.run(log)));
  const onInterrupt = () => {
    log('[fleet] interrupted');
    teardown.failed = true;
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    const fleet = await setUpFleet(options, log, teardown);
    return await body(fleet);
  } catch (error) {
    teardown.failed = true;
    throw error;
  } finally {
    await cleanUp();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
