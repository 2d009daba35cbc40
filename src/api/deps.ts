// What the API needs from its process: connections, clock and settings. Tests pass their own.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Keyring } from '../crypto/keyring.js';
import { defaultPolicy, type EnvironmentPolicy } from '../domain/vocabulary.js';
import { DEFAULT_SYNC_TIMEOUT_MS } from '../client/ops-repo-poller.js';
import { TASK_QUEUE } from '../../workflows/messages.js';

/** The slice of a pino logger the API uses (pino's `logger.error({ err }, message)`). */
export interface ApiLogger {
  error(context: { err?: unknown; [key: string]: unknown }, message: string): void;
}

export interface ApiDeps {
  pool: pg.Pool;
  temporalClient: Client;
  /** task queue of the environment workflows it starts (default: the deployer's) */
  taskQueue?: string;
  now?: () => Date;
  /** accept file:// ops repo URLs (local development and tests only) */
  allowFileUrls?: boolean;
  logger?: ApiLogger;
  /** how long the detail route waits for a workflow's `state` query before answering without it */
  workflowQueryTimeoutMs?: number;
  /** how long each /readyz check may take before it counts as failed */
  readinessTimeoutMs?: number;
  /** how long a sync of an ops repo waits for a worker's poller to take it and answer (default 60 s) */
  opsRepoSyncTimeoutMs?: number;
  /** DEPLOYER_PAYLOAD_KEYS: seals the secrets requests write; null or absent: requests with secrets are refused */
  payloadKeys?: Keyring | null;
  /** origins (the Temporal UI's) allowed to call the payload codec endpoint from a browser */
  codecCorsOrigins?: readonly string[];
  /**
   * how long a deploy, rollback or stop waits for a worker to take its update before it is sent as
   * a signal instead (default 5 s); only an update answers with the request's receipt
   */
  requestAcceptTimeoutMs?: number;
  /**
   * the policy of environments that set none of their own (the workers' configuration, so that
   * what the API shows, starts a workflow with and pushes to it is what the workers load)
   */
  defaultPolicy?: EnvironmentPolicy;
  /** the Temporal UI's base URL (e.g. http://127.0.0.1:8233): the dashboard links each run there; null: no links */
  temporalUiUrl?: string | null;
}

export type ResolvedApiDeps = Required<ApiDeps>;

/** The local Temporal UI (npm start, the dev server). */
export const DEFAULT_CODEC_CORS_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

const consoleLogger: ApiLogger = {
  error: ({ err, ...context }, message) => console.error(message, context, err),
};

export function resolveDeps(deps: ApiDeps): ResolvedApiDeps {
  return {
    pool: deps.pool,
    temporalClient: deps.temporalClient,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    now: deps.now ?? (() => new Date()),
    allowFileUrls: deps.allowFileUrls ?? false,
    logger: deps.logger ?? consoleLogger,
    workflowQueryTimeoutMs: deps.workflowQueryTimeoutMs ?? 3_000,
    readinessTimeoutMs: deps.readinessTimeoutMs ?? 2_000,
    opsRepoSyncTimeoutMs: deps.opsRepoSyncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
    payloadKeys: deps.payloadKeys ?? null,
    codecCorsOrigins: deps.codecCorsOrigins ?? DEFAULT_CODEC_CORS_ORIGINS,
    requestAcceptTimeoutMs: deps.requestAcceptTimeoutMs ?? 5_000,
    defaultPolicy: deps.defaultPolicy ?? defaultPolicy,
    temporalUiUrl: deps.temporalUiUrl ?? null,
  };
}
