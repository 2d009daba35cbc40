// The history row of the request waiting for approval, read by its id: it keeps what the request's
// preview said the release would change, for the approver to see. Read on its own, since drift
// corrections and refusals written while it waits can push it out of the rows a page lists.
import type pg from 'pg';
import { findRequestHistory, type HistoryRow } from '../../db/deployment-reads.js';
import type { AwaitingApproval, EnvironmentState } from '../../../workflows/state.js';
import type { EnvironmentKey } from '../deployment-requests.js';
import type { LiveWorkflow } from '../live-workflow.js';

/** The undecided approval the workflow reports, if any. */
export function undecidedApproval(workflow: LiveWorkflow | null): AwaitingApproval | undefined {
  const approval = (workflow?.state as EnvironmentState | null | undefined)?.approval;
  return approval && !approval.decision ? approval : undefined;
}

export async function findAwaitingApproval(pool: pg.Pool, key: EnvironmentKey, workflow: LiveWorkflow | null): Promise<HistoryRow | null> {
  const approval = undecidedApproval(workflow);
  if (!approval) return null;
  const row = await findRequestHistory(pool, key.project, key.environment, approval.requestId);
  return row?.status === 'awaiting-approval' ? row : null;
}
