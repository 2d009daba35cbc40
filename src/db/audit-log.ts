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
