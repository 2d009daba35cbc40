// Configuration from environment variables, validated at start: every bad or missing value gets
// its own line naming the variable, what it holds and what is allowed.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultPolicy, type EnvironmentPolicy } from './domain/vocabulary.js';

const port = z.coerce.number().int().min(1).max(65535);
const positiveMs = z.coerce.number().int().positive();
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Each variable: its schema, its default (undefined = required) and what it means (README table). */
export const configVariables = {
  TEMPORAL_ADDRESS: { schema: z.string().regex(/^[^\s:]+:\d+$/, 'host:port'), default: '127.0.0.1:7233', doc: 'Temporal frontend (host:port)' },
  TEMPORAL_NAMESPACE: { schema: z.string().min(1), default: 'default', doc: 'Temporal namespace' },
  DEPLOYER_TASK_QUEUE: { schema: z.string().min(1), default: 'deployer', doc: 'task queue of the environment workflows' },
  DATABASE_URL: { schema: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'), default: undefined, doc: 'PostgreSQL connection URL (required)' },
  KUBECONFIG: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: 'kubeconfig of the target cluster; unset: in-cluster service account, else ~/.kube/config' },
  DEPLOYER_API_HOST: { schema: z.string().min(1), default: '127.0.0.1', doc: 'address the HTTP API listens on' },
  DEPLOYER_API_PORT: { schema: port, default: '8080', doc: 'port of the HTTP API (also serves /metrics)' },
  DEPLOYER_WORKER_METRICS_PORT: { schema: port, default: '9464', doc: 'port of the worker\'s /metrics' },
  DEPLOYER_REPO_CACHE_DIR: { schema: z.string().min(1), default: join(homedir(), '.cache', 'deployer', 'repos'), doc: 'where ops repositories are cloned' },
  DEPLOYER_ALLOW_FILE_URLS: { schema: flag, default: 'false', doc: 'allow file:// ops repo URLs (local use)' },
  DEPLOYER_LOG_LEVEL: { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']), default: 'info', doc: 'log level (JSON logs on stdout)' },
  DEPLOYER_MIN_INTERVAL_MS: { schema: positiveMs, default: String(defaultPolicy.minIntervalMs), doc: 'default minimum interval between deployment starts' },
  DEPLOYER_DRIFT_INTERVAL_MS: { schema: positiveMs, default: String(defaultPolicy.driftIntervalMs), doc: 'default idle time before a safety-net drift pass (changes are reconciled as they are noticed)' },
  DEPLOYER_HEALTH_TIMEOUT_MS: { schema: positiveMs, default: String(defaultPolicy.healthTimeoutMs), doc: 'default time a rollout may take' },
  DEPLOYER_AUTO_ROLLBACK: { schema: flag, default: String(defaultPolicy.autoRollback), doc: 'default: roll back when a rollout fails' },
  DEPLOYER_START_POLLERS: {
    schema: flag,
    default: 'true',
    doc: 'start the poller of every ops repo branch in the database when the worker starts; false: only registrations and webhooks start them (a worker sharing its database with others, as in tests)',
  },
  DEPLOYER_MAX_CACHED_WORKFLOWS: {
    schema: z.coerce.number().int().min(2).max(100_000),
    default: '500',
    doc: 'environment workflows a worker keeps in memory (about 0.5 MiB each); the others are replayed from their short history when they next run (sizing table below)',
  },
  DEPLOYER_ACTIVITY_SLOTS: { schema: z.coerce.number().int().min(1).max(10_000), default: '100', doc: 'deployment steps one worker runs at once' },
  DEPLOYER_BACKGROUND_ACTIVITY_SLOTS: {
    schema: z.coerce.number().int().min(2).max(10_000),
    default: '16',
    doc: 'background steps (drift passes, the cluster watcher, ops repo polls) one worker runs at once, apart from deploys',
  },
  DEPLOYER_DEFAULT_SERVICE_ACCOUNT: {
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a service account name').max(253).optional(),
    default: undefined as string | undefined,
    doc: "service account (in each environment's namespace) that environments without their own apply as; unset: the worker's own identity",
  },
} as const;

type Variables = typeof configVariables;
type Parsed = { [K in keyof Variables]: z.output<Variables[K]['schema']> };

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string };
  databaseUrl: string;
  kubeconfig?: string;
  api: { host: string; port: number };
  workerMetricsPort: number;
  repoCacheDir: string;
  allowFileUrls: boolean;
  /** start every ops repo branch's poller when the worker starts */
  startPollers: boolean;
  workerSizing: WorkerSizing;
  logLevel: string;
  defaultPolicy: EnvironmentPolicy;
  defaultServiceAccount?: string;
}

/** How much one worker process takes on (README: "Sizing"). */
export interface WorkerSizing {
  maxCachedWorkflows: number;
  activitySlots: number;
  backgroundActivitySlots: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws a ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const values: Partial<Record<keyof Variables, unknown>> = {};
  for (const [name, variable] of Object.entries(configVariables) as Array<[keyof Variables, Variables[keyof Variables]]>) {
    const raw = env[name] === '' ? undefined : env[name];
    const input = raw ?? variable.default;
    if (input === undefined) {
      if (!(variable.schema as z.ZodType).safeParse(undefined).success) problems.push(`${name} is required: ${variable.doc}`);
      continue;
    }
    const parsed = (variable.schema as z.ZodType).safeParse(input);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`${name}=${JSON.stringify(raw)} is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')} (${variable.doc})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const v = values as Parsed;
  return {
    temporal: { address: v.TEMPORAL_ADDRESS, namespace: v.TEMPORAL_NAMESPACE, taskQueue: v.DEPLOYER_TASK_QUEUE },
    databaseUrl: v.DATABASE_URL,
    kubeconfig: v.KUBECONFIG,
    api: { host: v.DEPLOYER_API_HOST, port: v.DEPLOYER_API_PORT },
    workerMetricsPort: v.DEPLOYER_WORKER_METRICS_PORT,
    workerSizing: {
      maxCachedWorkflows: v.DEPLOYER_MAX_CACHED_WORKFLOWS,
      activitySlots: v.DEPLOYER_ACTIVITY_SLOTS,
      backgroundActivitySlots: v.DEPLOYER_BACKGROUND_ACTIVITY_SLOTS,
    },
    repoCacheDir: v.DEPLOYER_REPO_CACHE_DIR,
    allowFileUrls: v.DEPLOYER_ALLOW_FILE_URLS,
    startPollers: v.DEPLOYER_START_POLLERS,
    logLevel: v.DEPLOYER_LOG_LEVEL,
    defaultPolicy: {
      ...defaultPolicy,
      minIntervalMs: v.DEPLOYER_MIN_INTERVAL_MS,
      driftIntervalMs: v.DEPLOYER_DRIFT_INTERVAL_MS,
      healthTimeoutMs: v.DEPLOYER_HEALTH_TIMEOUT_MS,
      autoRollback: v.DEPLOYER_AUTO_ROLLBACK,
    },
    defaultServiceAccount: v.DEPLOYER_DEFAULT_SERVICE_ACCOUNT,
  };
}
