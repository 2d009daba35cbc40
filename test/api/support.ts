// Shared set-up of the API tests: the app on real Postgres and the stack's Temporal server, with a
// task queue no worker polls (so signalled workflows only record the signals), tokens of every
// kind, and probes of what a request left behind.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type pg from 'pg';
import { createApp } from '../../src/api/app.js';
import { startApiServer } from '../../src/api/listen.js';
import { runCli } from '../../src/cli.js';
import type { ApiDeps } from '../../src/api/deps.js';
import { createApiToken, revokeApiToken } from '../../src/auth/tokens.js';
import type { Scope } from '../../src/auth/scopes.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { migrate } from '../../src/db/migrate.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import { startRealWorker } from '../support/real-worker.js';
import { installQuietRuntime } from '../support/temporal-runtime.js';

export interface Tokens {
  admin: string;
  reader: string;
  promoter: string;
  /** admin (every scope), bound to `otherProject` */
  otherProjectAdmin: string;
  /** admin, bound to the test's main project */
  projectAdmin: string;
  revoked: string;
}

export interface ApiTest {
  app: ReturnType<typeof createApp>;
  pool: pg.Pool;
  client: Client;
  /** every name this run creates starts with it */
  prefix: string;
  project: string;
  otherProject: string;
  taskQueue: string;
  tokens: Tokens;
  /** a token for `name`, made on demand */
  token(name: string, scopes: Scope[], project?: string): Promise<string>;
  /** the app with other deps (same pool and client) */
  appWith(overrides: Partial<ApiDeps>): ReturnType<typeof createApp>;
  /** workflow ids to terminate at the end */
  started: Set<string>;
  close(): Promise<void>;
}

export async function setUpApiTest(label: string, overrides: Partial<ApiDeps> = {}): Promise<ApiTest> {
  const pool = getPool(testEnv.databaseUrl);
  await migrate(pool);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection, namespace: testEnv.temporalNamespace });
  const prefix = `${label}-${uniqueSuffix()}`;
  const taskQueue = `api-test-${prefix}`;
  const project = `${prefix}-shop`;
  const otherProject = `${prefix}-other`;
  // No worker polls the test's queue, so a request's update is never taken: it goes as a signal soon.
  const baseDeps: ApiDeps = { pool, temporalClient: client, taskQueue, allowFileUrls: true, workflowQueryTimeoutMs: 1_000, requestAcceptTimeoutMs: 500, ...overrides };
  const token = async (name: string, scopes: Scope[], tokenProject?: string) =>
    (await createApiToken(pool, { name: `${prefix}-${name}`, scopes, project: tokenProject })).token;
  const revoked = await createApiToken(pool, { name: `${prefix}-revoked`, scopes: ['admin'] });
  await revokeApiToken(pool, revoked.id);
  const tokens: Tokens = {
    admin: await token('admin', ['admin']),
    reader: await token('reader', ['deploy:read']),
    promoter: await token('promoter', ['deploy:promote', 'deploy:read']),
    otherProjectAdmin: await token('other-admin', ['admin'], otherProject),
    projectAdmin: await token('project-admin', ['admin'], project),
    revoked: revoked.token,
  };
  const started = new Set<string>();
  return {
    app: createApp(baseDeps),
    appWith: (more) => createApp({ ...baseDeps, ...more }),
    pool,
    client,
    prefix,
    project,
    otherProject,
    taskQueue,
    tokens,
    token,
    started,
    async close() {
      for (const id of started) {
        await client.workflow.getHandle(id).terminate('API test finished').catch(() => undefined);
      }
      // Ops repos created through the API start pollers on the test's task queue, which no worker polls.
      for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
        await client.workflow.getHandle(execution.workflowId).terminate('API test finished').catch(() => undefined);
      }
      await connection.close();
      await closePools();
    },
  };
}

export interface ApiWorker {
  /** the app sending to the worker's task queue */
  app: ApiTest['app'];
  taskQueue: string;
  /** stops the worker; workflows it ran are left to `test.started` */
  close(): Promise<void>;
}

/**
 * A real worker on a task queue of its own, and the app sending to it, for the routes that wait
 * for a worker's answer (an ops repo's sync). The test's own queue stays without a worker. A
 * poller answers on the queue it was started on: create the repos such a route syncs through
 * this app, not `test.app`.
 */
export async function startApiWorker(test: ApiTest, repoCacheDir: string): Promise<ApiWorker> {
  installQuietRuntime();
  const taskQueue = `${test.taskQueue}-worker`;
  const real = await startRealWorker({ taskQueue, pool: test.pool, kubeConfig: loadKubeConfig(testEnv.kubeconfig), repoCacheDir });
  return { app: test.appWith({ taskQueue }), taskQueue, close: () => real.close() };
}

export interface CallOptions {
  token?: string;
  /** serialised as JSON with Content-Type application/json */
  json?: unknown;
  /** sent as is */
  body?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(app: ApiTest['app'], method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await app.request(path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Registers an environment (and its ops repo) directly in Postgres, as the CLI would. */
export async function registerTestEnvironment(test: ApiTest, project: string, environment: string): Promise<void> {
  await registerEnvironment(test.pool, {
    project,
    environment,
    opsRepo: { name: `${test.prefix}-ops`, url: 'https://git.example.com/ops.git', branch: 'main', path: 'envs' },
    manifestPath: 'app.yaml.njk',
    namespace: `${project}-${environment}`.slice(0, 63).replace(/-+$/, ''),
    policy: { minIntervalMs: 500 },
    valuesOverride: { replicas: 2 },
  });
}

/**
 * The command line through the API (served on a free port for the call) as `token`: no Temporal
 * address it could reach, so every command takes the API's door. `env` adds to its environment.
 */
export async function cliThroughApi(app: ApiTest['app'], token: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const server = await startApiServer({ app, port: 0, host: '127.0.0.1' });
  try {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { TEMPORAL_ADDRESS: '127.0.0.1:9', DEPLOYER_URL: `http://127.0.0.1:${server.port}`, DEPLOYER_TOKEN: token, ...env },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    await server.close();
  }
}

export interface SignalEvent {
  name: string;
  payload: any;
}

/** The signals a workflow received, in order, decoded; empty when the workflow does not exist. */
export async function signalsOf(client: Client, workflowId: string): Promise<SignalEvent[]> {
  let history;
  try {
    history = await client.workflow.getHandle(workflowId).fetchHistory();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  return (history.events ?? []).flatMap((event) => {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (!signaled) return [];
    const payload = signaled.input?.payloads?.[0];
    return [{ name: signaled.signalName ?? '', payload: payload ? defaultPayloadConverter.fromPayload(payload) : undefined }];
  });
}

export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

// describe() translates a missing workflow into WorkflowNotFoundError; fetchHistory() leaves
// the gRPC status NOT_FOUND (5) as it is.
function isNotFound(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || (error as { code?: number }).code === 5;
}

export interface RowCounts {
  projects: number;
  environments: number;
  opsRepos: number;
  deployments: number;
  history: number;
  audit: number;
  notificationSubscriptions: number;
  notificationDeliveries: number;
}

/**
 * Rows of this run's names in every table a request could write. Scoped to the run's prefix
 * because other suites may write to the same database at the same time.
 */
export async function rowCounts(test: ApiTest): Promise<RowCounts> {
  const like = `${test.prefix}%`;
  const count = async (sql: string) => Number((await test.pool.query<{ n: string }>(sql, [like])).rows[0]!.n);
  return {
    projects: await count('SELECT count(*) AS n FROM projects WHERE name LIKE $1'),
    environments: await count('SELECT count(*) AS n FROM environments WHERE project LIKE $1'),
    opsRepos: await count('SELECT count(*) AS n FROM ops_repos WHERE name LIKE $1'),
    deployments: await count('SELECT count(*) AS n FROM deployments WHERE project LIKE $1'),
    history: await count('SELECT count(*) AS n FROM deployment_history WHERE project LIKE $1'),
    audit: await count('SELECT count(*) AS n FROM audit_log WHERE actor LIKE $1'),
    notificationSubscriptions: await count('SELECT count(*) AS n FROM notification_subscriptions WHERE project LIKE $1'),
    notificationDeliveries: await count(
      'SELECT count(*) AS n FROM notification_deliveries d JOIN notification_subscriptions s ON s.id = d.subscription_id WHERE s.project LIKE $1',
    ),
  };
}

export interface AuditRow {
  actor: string;
  action: string;
  project: string | null;
  environment: string | null;
  request_id: string | null;
  outcome: string;
  details: Record<string, any>;
}

export async function auditRows(test: ApiTest, where: { action?: string; requestId?: string } = {}): Promise<AuditRow[]> {
  const { rows } = await test.pool.query<AuditRow>(
    `SELECT actor, action, project, environment, request_id, outcome, details FROM audit_log
      WHERE actor LIKE $1 AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR request_id = $3)
      ORDER BY id`,
    [`${test.prefix}%`, where.action ?? null, where.requestId ?? null],
  );
  return rows;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A git repository on disk with one commit on main; returns its file:// URL. */
export async function createLocalGitRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  await writeFile(join(dir, 'values.yaml'), 'replicas: 1\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '--quiet', '-m', 'first');
  return `file://${dir}`;
}
