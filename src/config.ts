// Configuration from environment variables, validated at start: every bad or missing value gets
// its own line naming the variable, what it holds and what is allowed.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultPolicy, type EnvironmentPolicy } from './domain/vocabulary.js';
import { parseKeyring, type Keyring } from './crypto/keyring.js';

const port = z.coerce.number().int().min(1).max(65535);
const positiveMs = z.coerce.number().int().positive();
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Each variable: its schema, its default (undefined = required) and what it means (README table). */
export const configVariables = {
  TEMPORAL_ADDRESS: { schema: z.string().regex(/^[^\s:]+:\d+$/, 'host:port'), default: '127.0.0.1:7233', doc: 'Temporal frontend (host:port)' },
  TEMPORAL_NAMESPACE: { schema: z.string().min(1), default: 'default', doc: 'Temporal namespace' },
  TEMPORAL_TLS: { schema: flag.optional(), default: undefined as string | undefined, doc: 'connect to Temporal over TLS; implied by any TEMPORAL_TLS_* file and by TEMPORAL_API_KEY' },
  TEMPORAL_TLS_CA: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: "PEM file of the CA that signed Temporal's server certificate; unset: the system's roots" },
  TEMPORAL_TLS_SERVER_NAME: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: "name Temporal's certificate is checked against, when it is not the host of TEMPORAL_ADDRESS" },
  TEMPORAL_TLS_CERT: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: 'PEM file of the client certificate for mutual TLS (with TEMPORAL_TLS_KEY)' },
  TEMPORAL_TLS_KEY: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: 'PEM file of the client certificate\'s private key (with TEMPORAL_TLS_CERT)' },
  TEMPORAL_API_KEY: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: 'API key sent to Temporal as a bearer token (Temporal Cloud), over TLS only' },
  DEPLOYER_PAYLOAD_KEYS: {
    schema: z.string().min(1).optional(),
    default: undefined as string | undefined,
    doc: 'id=key,… (newest first; each key 32 bytes, base64 or hex): encrypts every Temporal payload and the write-only secrets with AES-256-GCM; older keys still decrypt. Every process needs the same keys',
  },
  DEPLOYER_TASK_QUEUE: { schema: z.string().min(1), default: 'deployer', doc: 'task queue of the environment workflows' },
  DATABASE_URL: { schema: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'), default: undefined, doc: 'PostgreSQL connection URL (required)' },
  KUBECONFIG: { schema: z.string().min(1).optional(), default: undefined as string | undefined, doc: 'kubeconfig of the target cluster; unset: in-cluster service account, else ~/.kube/config' },
  DEPLOYER_API_HOST: { schema: z.string().min(1), default: '127.0.0.1', doc: 'address the HTTP API listens on' },
  DEPLOYER_CODEC_CORS_ORIGINS: {
    schema: z
      .string()
      .transform((v) => v.split(',').map((origin) => origin.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin: scheme://host[:port], no path'))),
    default: 'http://127.0.0.1:8233,http://localhost:8233',
    doc: 'origins (the Temporal UI\'s, comma-separated) whose pages may call the payload codec endpoint /codec',
  },
  DEPLOYER_TEMPORAL_UI_URL: {
    schema: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL').transform((v) => v.replace(/\/+$/, '')).optional(),
    default: undefined as string | undefined,
    doc: "the Temporal UI's base URL (e.g. http://127.0.0.1:8233): the dashboard links each environment's run there; unset: no links",
  },
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
  DEPLOYER_WORKFLOW_TASK_SLOTS: {
    schema: z.coerce.number().int().min(2).max(10_000),
    default: '40',
    doc: 'workflow tasks (the environment workflows deciding their next step) one worker runs at once',
  },
  DEPLOYER_WORKFLOW_TASK_POLLERS: {
    schema: z.coerce.number().int().min(2).max(1_000),
    default: '10',
    doc: 'workflow task polls one worker keeps open; at most the workflow task slots',
  },
  DEPLOYER_NEW_WORKFLOW_POLL_SHARE: {
    schema: z.coerce.number().min(0.1).max(0.9),
    default: '0.2',
    doc: 'share of those polls that take the first task of a workflow new to this worker (the rest continue the workflows it has cached); more starts a burst of new environments sooner',
  },
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

/** How to reach Temporal: where, and with what proof of identity. */
export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** absent: plaintext */
  tls?: TemporalTls;
  apiKey?: string;
  /** absent: payloads travel and rest in plaintext, and secrets cannot be stored */
  payloadKeys?: Keyring;
}

export interface TemporalTls {
  serverName?: string;
  /** PEM; absent: the system's roots */
  caCertificate?: Buffer;
  /** for mutual TLS */
  clientCert?: { crt: Buffer; key: Buffer };
}

export interface Config {
  temporal: TemporalConfig;
  databaseUrl: string;
  kubeconfig?: string;
  api: { host: string; port: number; codecCorsOrigins?: string[]; temporalUiUrl?: string };
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
  workflowTaskSlots: number;
  workflowTaskPollers: number;
  newWorkflowPollShare: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws a ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadVariables(env, Object.keys(configVariables) as Array<keyof Variables>, (v, problems) => configFrom(v, problems));
}

/**
 * Only what a Temporal client needs (the CLI's and the SDK's commands, which have no database):
 * the address, namespace, task queue and TLS variables.
 */
export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  return loadVariables(env, temporalVariableNames, temporalFrom);
}

const temporalVariableNames = [
  'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'DEPLOYER_TASK_QUEUE', 'TEMPORAL_TLS', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_API_KEY',
  'DEPLOYER_PAYLOAD_KEYS',
] as const satisfies ReadonlyArray<keyof Variables>;

/** Reads and checks the TLS files and settings; each problem names its variable. */
function temporalFrom(v: Pick<Parsed, (typeof temporalVariableNames)[number]>, problems: string[]): TemporalConfig {
  const file = (name: 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY', pem: RegExp, holds: string): Buffer | undefined => {
    const path = v[name];
    if (path === undefined) return undefined;
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch (error) {
      problems.push(`${name}=${JSON.stringify(path)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${configVariables[name].doc})`);
      return undefined;
    }
    if (!pem.test(content.toString('latin1'))) problems.push(`${name}=${JSON.stringify(path)} does not hold ${holds} in PEM form (-----BEGIN …-----)`);
    return content;
  };
  const caCertificate = file('TEMPORAL_TLS_CA', /-----BEGIN CERTIFICATE-----/, 'a certificate');
  const crt = file('TEMPORAL_TLS_CERT', /-----BEGIN CERTIFICATE-----/, 'a certificate');
  const key = file('TEMPORAL_TLS_KEY', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key');
  if ((v.TEMPORAL_TLS_CERT === undefined) !== (v.TEMPORAL_TLS_KEY === undefined)) {
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: a client certificate needs its key, and a key its certificate');
  }
  const wantsTls = [v.TEMPORAL_TLS_CA, v.TEMPORAL_TLS_SERVER_NAME, v.TEMPORAL_TLS_CERT, v.TEMPORAL_TLS_KEY, v.TEMPORAL_API_KEY].some((value) => value !== undefined);
  if (v.TEMPORAL_TLS === false && wantsTls) {
    problems.push('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* or TEMPORAL_API_KEY settings: those need TLS (an API key is never sent in plaintext)');
  }
  const tls = v.TEMPORAL_TLS === true || wantsTls;
  let payloadKeys: Keyring | undefined;
  if (v.DEPLOYER_PAYLOAD_KEYS !== undefined) {
    const parsed = parseKeyring(v.DEPLOYER_PAYLOAD_KEYS);
    if ('problems' in parsed) problems.push(...parsed.problems.map((p) => `DEPLOYER_PAYLOAD_KEYS: ${p}`));
    else payloadKeys = parsed.keyring;
  }
  return {
    address: v.TEMPORAL_ADDRESS,
    namespace: v.TEMPORAL_NAMESPACE,
    taskQueue: v.DEPLOYER_TASK_QUEUE,
    tls: tls ? { serverName: v.TEMPORAL_TLS_SERVER_NAME, caCertificate, clientCert: crt && key ? { crt, key } : undefined } : undefined,
    apiKey: v.TEMPORAL_API_KEY,
    payloadKeys,
  };
}

/** Parses `names` from `env`, then builds the result; every problem of either step is listed at once. */
function loadVariables<Names extends keyof Variables, T>(env: NodeJS.ProcessEnv, names: readonly Names[], build: (v: Pick<Parsed, Names>, problems: string[]) => T): T {
  const problems: string[] = [];
  const values: Partial<Record<keyof Variables, unknown>> = {};
  for (const name of names) {
    const variable: Variables[keyof Variables] = configVariables[name];
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
  const built = build(values as Pick<Parsed, Names>, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return built;
}

function configFrom(v: Parsed, problems: string[]): Config {
  return {
    temporal: temporalFrom(v, problems),
    databaseUrl: v.DATABASE_URL,
    kubeconfig: v.KUBECONFIG,
    api: { host: v.DEPLOYER_API_HOST, port: v.DEPLOYER_API_PORT, codecCorsOrigins: v.DEPLOYER_CODEC_CORS_ORIGINS, temporalUiUrl: v.DEPLOYER_TEMPORAL_UI_URL },
    workerMetricsPort: v.DEPLOYER_WORKER_METRICS_PORT,
    workerSizing: {
      maxCachedWorkflows: v.DEPLOYER_MAX_CACHED_WORKFLOWS,
      activitySlots: v.DEPLOYER_ACTIVITY_SLOTS,
      backgroundActivitySlots: v.DEPLOYER_BACKGROUND_ACTIVITY_SLOTS,
      workflowTaskSlots: v.DEPLOYER_WORKFLOW_TASK_SLOTS,
      workflowTaskPollers: v.DEPLOYER_WORKFLOW_TASK_POLLERS,
      newWorkflowPollShare: v.DEPLOYER_NEW_WORKFLOW_POLL_SHARE,
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
