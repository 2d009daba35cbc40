// Commands that administer the deployer: environments, ops repos and policies (through the API
// when logged in, else on the database), tokens and migrations (on the database: bootstrap), and
// running the worker or the API server.
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { temporalClient } from '../client/data-converter.js';
import { connectToTemporal } from '../client/temporal-connection.js';
import { DEFAULT_SYNC_TIMEOUT_MS, startOpsRepoPoller, SyncNotAnswered, syncOpsRepoNow } from '../client/ops-repo-poller.js';
import { loadConfig } from '../config.js';
import { HttpAdminClient } from '../client/http-admin-client.js';
import { frontDoor } from './credentials.js';
import { OpsRepoNotFound, saveEnvironment } from '../db/environment-settings.js';
import { migrate } from '../db/migrate.js';
import { listOpsRepoRecords } from '../db/ops-repo-admin.js';
import { findOpsRepo, upsertOpsRepo } from '../db/ops-repos.js';
import { closePools, getPool } from '../db/pool.js';
import { loadProjectPolicy, saveProjectPolicy } from '../db/tenancy.js';
import { projectPolicyFromApi, projectPolicyToApi } from '../domain/project-policy-names.js';
import type { ServiceAccountRef } from '../domain/tenancy.js';
import { policyFromApi } from '../api/policy.js';
import { policyBody, projectPolicyBody } from '../api/schemas/environments.js';
import { fieldIssues } from '../api/validation/zod-issues.js';
import type { ZodError } from 'zod';
import { validateOpsRepoSource, validateRepoPath } from '../git/validate.js';
import { isSlug } from '../domain/request-rules.js';
import { createApiToken } from '../auth/tokens.js';
import { isScope, SCOPES, type Scope } from '../auth/scopes.js';
import { integer, jsonObject, parse, required, UsageError } from './args.js';
import { credentialOptions, credentialsOption, credentialsToApi, secretChangesOption, secretOptions } from './secret-options.js';
import { SecretsNeedKeys } from '../db/environment-secrets.js';
import { writeOpsRepoCredentials } from '../db/ops-repo-credentials.js';
import type { CliIo } from './deploy-commands.js';

/**
 * Logged in (`deployer login`, or DEPLOYER_URL and DEPLOYER_TOKEN), administration goes through
 * the HTTP API, with its checks and scopes, audited under the token's name. Without a login it
 * refuses, unless DEPLOYER_DIRECT=1 sends it straight to the database (an operator's break-glass
 * path); bootstrapping needs only `migrate` and `token create`, which always work on the database.
 */
async function adminClient(io: CliIo): Promise<HttpAdminClient | undefined> {
  const credentials = await frontDoor(io.env);
  return credentials ? new HttpAdminClient(credentials) : undefined;
}

async function withDatabase<T>(io: CliIo, run: (pool: ReturnType<typeof getPool>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  try {
    return await run(getPool(config.databaseUrl), config);
  } finally {
    await closePools();
  }
}

/** Validation failures of user input (DeployerErrors from src/git/validate) become usage errors. */
function validated<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function slug(values: Record<string, unknown>, name: string): string {
  const value = required(values, name);
  if (!isSlug(value)) throw new UsageError(`--${name} "${value}" must be a slug: lower-case letters, digits and "-", 1-63 characters`);
  return value;
}

async function envRegister(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, {
    project: { type: 'string' }, env: { type: 'string' }, 'ops-repo': { type: 'string' }, 'manifest-path': { type: 'string' },
    namespace: { type: 'string' }, policy: { type: 'string' }, values: { type: 'string' },
    'share-namespace': { type: 'boolean' }, 'service-account': { type: 'string' }, ...secretOptions,
  });
  const project = slug(values, 'project');
  const environment = slug(values, 'env');
  const namespace = slug(values, 'namespace');
  const manifestPath = validated(() => validateRepoPath('manifestPath', required(values, 'manifest-path'), { allowRoot: false }));
  const policy = environmentPolicyOption(jsonObject(values, 'policy'));
  const valuesOverride = jsonObject(values, 'values');
  const impersonate = serviceAccountOption(values['service-account']);
  if (impersonate && impersonate.namespace !== namespace) {
    throw new UsageError(`--service-account must be in the environment's namespace ${namespace}, not ${impersonate.namespace}`);
  }
  const shareNamespace = values['share-namespace'] ?? false;
  const repoName = required(values, 'ops-repo');
  const secrets = await secretChangesOption(values);
  const as = impersonate ? ` as service account ${impersonate.namespace}/${impersonate.name}` : '';
  const registered = `registered ${project}/${environment}: ${repoName}:${manifestPath} → namespace ${namespace}${shareNamespace ? ' (shared)' : ''}${as}`;
  const admin = await adminClient(io);
  if (admin) {
    await admin.registerEnvironment(project, environment, {
      ops_repo: repoName,
      manifest_path: manifestPath,
      namespace,
      ...(policy ? { policy: jsonObject(values, 'policy') } : {}),
      ...(valuesOverride ? { values_override: valuesOverride } : {}),
      share_namespace: shareNamespace,
      ...(impersonate ? { impersonate: { namespace: impersonate.namespace, service_account: impersonate.name } } : {}),
      ...(secrets ? { secrets } : {}),
    });
    io.out(registered);
    return 0;
  }
  return withDatabase(io, async (pool, config) => {
    // The API's registration: the ops repo must exist, the namespace must be free for the project.
    try {
      await saveEnvironment(
        pool,
        { project, environment, namespace, manifestPath, policy: policy ?? {}, valuesOverride: valuesOverride ?? {}, opsRepo: { name: repoName }, shareNamespace, impersonate, secrets },
        config.temporal.payloadKeys,
      );
    } catch (error) {
      if (error instanceof OpsRepoNotFound) throw new UsageError(`ops repo "${repoName}" is not registered: add it with \`deployer ops-repo add\``);
      if (error instanceof SecretsNeedKeys) throw new UsageError(`--secret-file: ${error.message}`);
      throw error;
    }
    io.out(registered);
    return 0;
  });
}

/** `--policy` in the API's names (`{"min_interval_ms": 5000}`), checked by the API's own schema. */
function environmentPolicyOption(given: Record<string, unknown> | undefined) {
  if (given === undefined) return undefined;
  const parsed = policyBody.safeParse(given);
  if (!parsed.success) {
    throw policyUsageError(parsed.error);
  }
  return policyFromApi(parsed.data);
}

/** A --policy the API's schema refuses, each problem named by its field as the API names it ("freeze_windows[0].cron"). */
function policyUsageError(error: ZodError): UsageError {
  return new UsageError(`--policy: ${fieldIssues(error, 'policy').map((issue) => issue.message).join('; ')}`);
}

/** `--service-account NAMESPACE/NAME` → the service account, checked like the API checks it. */
function serviceAccountOption(value: string | undefined): ServiceAccountRef | undefined {
  if (value === undefined) return undefined;
  const [namespace, name, ...rest] = value.split('/');
  if (rest.length > 0 || !namespace || !name || !isSlug(namespace) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw new UsageError(`--service-account "${value}" must be NAMESPACE/NAME, e.g. team-a/deployer`);
  }
  return { namespace, name };
}

async function policyGet(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { project: { type: 'string' } });
  const project = slug(values, 'project');
  const admin = await adminClient(io);
  if (admin) {
    io.out(JSON.stringify(await admin.projectPolicy(project), null, 2));
    return 0;
  }
  return withDatabase(io, async (pool) => {
    io.out(JSON.stringify({ project, ...projectPolicyToApi(await loadProjectPolicy(pool, project)) }, null, 2));
    return 0;
  });
}

async function policySet(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { project: { type: 'string' }, policy: { type: 'string' } });
  const project = slug(values, 'project');
  const parsed = projectPolicyBody.safeParse(jsonObject(values, 'policy') ?? {});
  if (!parsed.success) {
    throw policyUsageError(parsed.error);
  }
  const admin = await adminClient(io);
  if (admin) {
    io.out(JSON.stringify(await admin.setProjectPolicy(project, parsed.data), null, 2));
    return 0;
  }
  const policy = projectPolicyFromApi(parsed.data);
  return withDatabase(io, async (pool) => {
    await saveProjectPolicy(pool, project, policy);
    io.out(JSON.stringify({ project, ...projectPolicyToApi(policy) }, null, 2));
    return 0;
  });
}

/**
 * The webhook secret from a file (a secret on the command line would show in `ps` and the shell's
 * history): set, removed with --clear-webhook-secret, or left as it is.
 */
async function webhookSecretOption(values: { 'webhook-secret-file'?: string; 'clear-webhook-secret'?: boolean }): Promise<string | null | undefined> {
  const file = values['webhook-secret-file'];
  if (file !== undefined && values['clear-webhook-secret']) throw new UsageError('give --webhook-secret-file or --clear-webhook-secret, not both');
  if (values['clear-webhook-secret']) return null;
  if (file === undefined) return undefined;
  let secret: string;
  try {
    secret = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(`--webhook-secret-file ${file}: ${(error as Error).message}`);
  }
  if (secret.length < 16 || secret.length > 256 || /[\u0000-\u001f\u007f]/.test(secret)) {
    throw new UsageError('--webhook-secret-file must hold one line of 16-256 characters without control characters (e.g. `openssl rand -hex 32 > FILE`)');
  }
  return secret;
}

async function withTemporal<T>(config: ReturnType<typeof loadConfig>, run: (client: Client) => Promise<T>): Promise<T> {
  const connection = await connectToTemporal(config.temporal, { connectTimeout: '5 seconds' });
  try {
    return await run(temporalClient(connection, config.temporal));
  } finally {
    await connection.close();
  }
}

/**
 * Starts the poller of the repo's branch, so a repo registered here is polled without waiting for
 * the next worker start. Best effort: the database row is what counts, and a worker starts every
 * missing poller when it starts.
 */
async function startPoller(config: ReturnType<typeof loadConfig>, repo: { url: string; branch: string }, io: CliIo): Promise<void> {
  try {
    const handle = await withTemporal(config, (client) => startOpsRepoPoller(client, { ...repo, taskQueue: config.temporal.taskQueue }));
    io.out(`poller ${handle.workflowId} runs for ${repo.branch}`);
  } catch (error) {
    io.err(`could not start the poller through Temporal at ${config.temporal.address} (${(error as Error).message}); the next worker start starts it`);
  }
}

async function opsRepoAdd(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, {
    name: { type: 'string' }, url: { type: 'string' }, branch: { type: 'string', default: 'main' }, path: { type: 'string', default: '.' },
    'webhook-secret-file': { type: 'string' }, 'clear-webhook-secret': { type: 'boolean' }, ...credentialOptions,
  });
  const name = slug(values, 'name');
  const webhookSecret = await webhookSecretOption(values);
  const credentials = await credentialsOption(values);
  const secret =
    (webhookSecret === undefined ? '' : webhookSecret === null ? ', webhook secret removed' : ', webhook secret set') +
    (credentials === undefined ? '' : credentials === null ? ', git credentials removed' : `, ${credentials.kind} credentials set`);
  const admin = await adminClient(io);
  if (admin) {
    // The API checks the URL against its own policy (file:// only where it allows them).
    const { repo } = await admin.saveOpsRepo({
      name, url: required(values, 'url'), branch: values.branch!, path: values.path!, webhook_secret: webhookSecret,
      ...(credentials === undefined ? {} : { credentials: credentialsToApi(credentials) }),
    });
    io.out(`ops repo ${repo.name} (#${repo.id}): ${repo.url} branch ${repo.branch} path ${repo.path}${secret}`);
    io.out(`the API started the poller of ${repo.branch}`);
    return 0;
  }
  return withDatabase(io, async (pool, config) => {
    const source = validated(() => validateOpsRepoSource({ url: required(values, 'url'), branch: values.branch!, path: values.path! }, { allowFileUrls: config.allowFileUrls }));
    const repo = await upsertOpsRepo(pool, { name, ...source, webhookSecret }, config.temporal.payloadKeys);
    if (credentials !== undefined) {
      await writeOpsRepoCredentials(pool, config.temporal.payloadKeys, repo.id, credentials).catch((error: unknown) => {
        throw error instanceof SecretsNeedKeys ? new UsageError(`--https-token-file / --ssh-key-file: ${error.message}`) : error;
      });
    }
    io.out(`ops repo ${repo.name} (#${repo.id}): ${repo.url} branch ${repo.branch} path ${repo.path}${secret}`);
    await startPoller(config, repo, io);
    return 0;
  });
}

async function opsRepoList(args: string[], io: CliIo): Promise<number> {
  parse(args, {});
  const line = (repo: { name: string; url: string; branch: string; path: string; lastSha: string | null; webhookSecretSet: boolean; credentials: { kind: string } | null }) => {
    const webhook = repo.webhookSecretSet ? 'webhook secret set' : 'no webhook secret';
    const credentials = repo.credentials ? `, ${repo.credentials.kind} credentials` : '';
    io.out(`${repo.name.padEnd(24)} ${repo.url} ${repo.branch}:${repo.path} ${repo.lastSha ? `at ${repo.lastSha.slice(0, 12)}` : 'never synced'}, ${webhook}${credentials}`);
  };
  const admin = await adminClient(io);
  if (admin) {
    for (const repo of await admin.opsRepos()) line({ ...repo, lastSha: repo.last_sha, webhookSecretSet: repo.webhook_secret_set });
    return 0;
  }
  return withDatabase(io, async (pool) => {
    for (const repo of await listOpsRepoRecords(pool)) line(repo);
    return 0;
  });
}

/** The poller of the repo's branch fetches it, on a worker, and records the head; this waits for its answer. */
async function opsRepoSync(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { name: { type: 'string' }, timeout: { type: 'string' } });
  const name = required(values, 'name');
  const timeoutS = integer(values, 'timeout') ?? DEFAULT_SYNC_TIMEOUT_MS / 1000;
  if (timeoutS === 0) throw new UsageError('--timeout must be at least 1 (seconds): the poll needs time to fetch');
  const timeoutMs = timeoutS * 1000;
  const admin = await adminClient(io);
  if (admin) {
    if (values.timeout !== undefined) throw new UsageError('--timeout applies without login: through the API, the server waits for the fetch up to its own limit (60 s)');
    const repo = await admin.opsRepo(name);
    if (!repo) throw new UsageError(`ops repo "${name}" is not registered`);
    const { sha } = await admin.syncOpsRepo(repo.id);
    io.out(`${repo.name}: ${repo.branch} is at ${sha}`);
    return 0;
  }
  return withDatabase(io, async (pool, config) => {
    const repo = await findOpsRepo(pool, name);
    if (!repo) throw new UsageError(`ops repo "${name}" is not registered`);
    // Repos registered by other means are checked against this installation's URL policy too.
    validated(() => validateOpsRepoSource(repo, { allowFileUrls: config.allowFileUrls }));
    const who = io.env.DEPLOYER_USER ?? io.env.USER ?? 'cli';
    const target = { url: repo.url, branch: repo.branch, taskQueue: config.temporal.taskQueue };
    let outcome;
    try {
      outcome = await withTemporal(config, (client) => syncOpsRepoNow(client, target, `sync of ${repo.name} asked by ${who}`, { timeoutMs }));
    } catch (error) {
      io.err(error instanceof SyncNotAnswered ? `${repo.name}: ${error.message}` : `${repo.name}: could not reach Temporal at ${config.temporal.address}: ${(error as Error).message}`);
      return 1;
    }
    if (!outcome.ok) {
      io.err(`${repo.name}: the fetch of ${repo.branch} failed: ${outcome.error}`);
      return 1;
    }
    io.out(`${repo.name}: ${repo.branch} is at ${outcome.sha}`);
    return 0;
  });
}

async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  parse(args, {});
  return withDatabase(io, async (pool) => {
    const applied = await migrate(pool);
    io.out(applied.length ? `applied migrations ${applied.join(', ')}` : 'database is up to date');
    return 0;
  });
}

async function workerCommand(args: string[], io: CliIo): Promise<number> {
  parse(args, {});
  if (!io.runWorker) {
    io.err('deployer: the worker runs from the deployer command (bin/deployer worker) or as `tsx worker/main.ts`');
    return 1;
  }
  await io.runWorker();
  return 0;
}

async function serverCommand(args: string[]): Promise<number> {
  parse(args, {});
  const { main } = await import('../server.js');
  await main();
  return 0;
}

async function tokenCreate(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { name: { type: 'string' }, scope: { type: 'string', multiple: true }, project: { type: 'string' } });
  const name = required(values, 'name');
  const scopes = values.scope ?? [];
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--scope must be given at least once, each one of ${SCOPES.join(', ')}${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
  }
  if (values.project !== undefined) slug(values, 'project');
  return withDatabase(io, async (pool) => {
    const { token, id } = await createApiToken(pool, { name, scopes: scopes as Scope[], project: values.project });
    io.err(`token #${id} "${name}" (${scopes.join(', ')}${values.project ? `, project ${values.project}` : ', all projects'}) — shown once, store it now:`);
    io.out(token);
    return 0;
  });
}

export const adminCommands = {
  'env register': {
    run: envRegister,
    usage:
      'env register --project P --env E --ops-repo NAME --manifest-path FILE --namespace NS [--share-namespace] [--service-account NS/NAME] [--policy JSON] [--values JSON] [--secret-file NAME=FILE…] [--delete-secret NAME…]   (--policy \'{"min_interval_ms":…,"approval":{"required":true,"expires_after":"24h"},"freeze_windows":[{"name":"weekend","cron":"0 18 * * FRI","duration":"62h","time_zone":"Europe/Berlin"}]}\')',
  },
  'policy get': { run: policyGet, usage: 'policy get --project P' },
  'policy set': {
    run: policySet,
    usage: 'policy set --project P --policy \'{"allowed_namespaces":[…],"allowed_cluster_kinds":[…],"denied_namespaced_kinds":[…],"allow_cluster_rbac":false,"freeze_windows":[…]}\'',
  },
  'ops-repo add': {
    run: opsRepoAdd,
    usage:
      'ops-repo add --name NAME --url URL [--branch main] [--path .] [--webhook-secret-file FILE | --clear-webhook-secret] [--https-user USER --https-token-file FILE | --ssh-key-file FILE [--ssh-known-hosts-file FILE] | --clear-credentials]',
  },
  'ops-repo list': { run: opsRepoList, usage: 'ops-repo list' },
  'ops-repo sync': { run: opsRepoSync, usage: 'ops-repo sync --name NAME [--timeout S]' },
  migrate: { run: migrateCommand, usage: 'migrate' },
  'token create': { run: tokenCreate, usage: 'token create --name NAME --scope SCOPE [--scope SCOPE…] [--project P]' },
  worker: { run: workerCommand, usage: 'worker' },
  server: { run: serverCommand, usage: 'server' },
};
