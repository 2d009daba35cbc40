// When a drift pass last put an environment back as it should be (a history row `corrected`),
// and what it changed: the environment page shows it even when newer releases pushed that row
// out of the recent history it lists.
import type pg from 'pg';

export interface DriftCorrection {
  at: Date;
  /** what the pass re-applied or scaled back, as it recorded it */
  reason: string | null;
}

export async function findLastDriftCorrection(pool: pg.Pool, project: string, environment: string): Promise<DriftCorrection | null> {
  // The newest by id, as the history is listed; the partial index deployment_history_corrected (migration 010) serves it.
  const { rows } = await pool.query<{ at: Date; reason: string | null }>(
    `SELECT coalesce(finished_at, started_at) AS at, reason
       FROM deployment_history
      WHERE project = $1 AND environment = $2 AND status = 'corrected'
      ORDER BY id DESC
      LIMIT 1`,
    [project, environment],
  );
  return rows[0] ?? null;
}
