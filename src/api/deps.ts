// What the API needs from its process: connections, clock and settings. Tests pass their own.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
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
  /** where the force-sync of an ops repo keeps its git mirrors */
  repoCacheDir?: string;
  /** accept file:// ops repo URLs (local development and tests only) */
  allowFileUrls?: boolean;
  logger?: ApiLogger;
  /** how long the detail route waits for a workflow's `state` query before answering without it */
  workflowQueryTimeoutMs?: number;
  /** how long each /readyz check may take before it counts as failed */
  readinessTimeoutMs?: number;
}

export type ResolvedApiDeps = Required<ApiDeps>;

const consoleLogger: ApiLogger = {
  error: ({ err, ...context }, message) => console.error(message, context, err),
};

export function resolveDeps(deps: ApiDeps): ResolvedApiDeps {
  return {
    pool: deps.pool,
    temporalClient: deps.temporalClient,
    taskQueue: deps.taskQueue ?? TASK_QUEUE,
    now: deps.now ?? (() => new Date()),
    repoCacheDir: deps.repoCacheDir ?? join(tmpdir(), 'deployer-api-repo-cache'),
    allowFileUrls: deps.allowFileUrls ?? false,
    logger: deps.logger ?? consoleLogger,
    workflowQueryTimeoutMs: deps.workflowQueryTimeoutMs ?? 3_000,
    readinessTimeoutMs: deps.readinessTimeoutMs ?? 2_000,
  };
}
