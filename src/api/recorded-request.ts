// What Postgres recorded of one request, for the long poll of a request the environment's
// workflow no longer lists: the receipt its audit row keeps, and its history row.
import type pg from 'pg';
import { findAcceptedDetails } from '../db/audit-log.js';
import { findRequestHistory } from '../db/deployment-reads.js';
import type { RequestAnswer } from '../client/request-standing.js';
import type { RequestReceipt } from '../../workflows/state.js';

/** The receipt a request's audit row keeps (routes/deployment-actions.ts), if it has one. */
export async function recordedReceipt(pool: pg.Pool, project: string, environment: string, requestId: string): Promise<RequestReceipt | undefined> {
  const { position, first_run_id: firstRunId } = (await findAcceptedDetails(pool, project, environment, requestId)) ?? {};
  return typeof position === 'number' && typeof firstRunId === 'string' ? { position, firstRunId } : undefined;
}

/** A request's final outcome as its history row tells it: the release or stop it made, or its refusal. */
export async function recordedAnswer(
  pool: pg.Pool,
  project: string,
  environment: string,
  requestId: string,
): Promise<{ request: RequestAnswer; release?: { seq?: number; imageRef: string; opsSha?: string; status: string; error?: string } } | undefined> {
  const row = await findRequestHistory(pool, project, environment, requestId);
  // A request waiting for approval, or approved and about to run, has no outcome yet.
  if (!row || row.status === 'in-progress' || row.status === 'awaiting-approval' || row.status === 'approved') return undefined;
  const outcome = row.status as RequestAnswer['outcome'];
  const request: RequestAnswer = { requestId, outcome, ...(row.error ? { detail: row.error } : {}) };
  if (row.imageRef === null || (row.action !== 'deploy' && row.action !== 'rollback')) return { request };
  return { request, release: { imageRef: row.imageRef, opsSha: row.sha ?? undefined, status: row.status, error: row.error ?? undefined } };
}
