// The audit trail: one row per attempted mutation, whether it was accepted, refused or failed.
import type pg from 'pg';

export type AuditOutcome = 'accepted' | 'rejected' | 'failed';

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  project: string | null;
  environment: string | null;
  requestId: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
}

export async function insertAuditEntry(pool: pg.Pool, entry: AuditEntry): Promise<void> {
  await pool.query(
    `INSERT INTO audit_log (at, actor, action, project, environment, request_id, outcome, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [entry.at, entry.actor, entry.action, entry.project, entry.environment, entry.requestId, entry.outcome, JSON.stringify(entry.details)],
  );
}

/** The details of the newest accepted mutation of an environment made under request id `requestId`, if any. */
export async function findAcceptedDetails(pool: pg.Pool, project: string, environment: string, requestId: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await pool.query<{ details: Record<string, unknown> }>(
    `SELECT details FROM audit_log
      WHERE project = $1 AND environment = $2 AND request_id = $3 AND outcome = 'accepted'
      ORDER BY id DESC
      LIMIT 1`,
    [project, environment, requestId],
  );
  return rows[0]?.details;
}
