// Postgres writes of the workflow: history rows and the environment's current state. Both are
// upserts keyed so that a retried activity (same idempotency key) never adds a second row, and
// the deployment metrics count each status change of a row once.
import { ApplicationFailure } from '@temporalio/common';
import { countHistoryTransition } from '../src/observability/metrics.js';
import type { ActivityDeps } from './index.js';
import type { CurrentStateRecord, HistoryRecord } from './types.js';

const FOREIGN_KEY_VIOLATION = '23503';

export function createRecordActivities({ pool }: Pick<ActivityDeps, 'pool'>) {
  return {
    async recordHistory(row: HistoryRecord): Promise<void> {
      // The end-of-deployment write fills in what the start did not know; fields it leaves out
      // keep their earlier values. A write of the same status changes nothing (a retry), unless it
      // brings an approval decision the row does not hold yet.
      const { rows } = await pool.query<{ transition: boolean }>(
        `WITH earlier AS (SELECT status FROM deployment_history WHERE idempotency_key = $1)
         INSERT INTO deployment_history (idempotency_key, project, environment, action, status, image_ref, sha,
            manifest_hash, values_override, error, error_type, request_id, requested_by, reason, started_at, finished_at, approval)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (idempotency_key) DO UPDATE SET
           status        = EXCLUDED.status,
           image_ref     = COALESCE(EXCLUDED.image_ref, deployment_history.image_ref),
           sha           = COALESCE(EXCLUDED.sha, deployment_history.sha),
           manifest_hash = COALESCE(EXCLUDED.manifest_hash, deployment_history.manifest_hash),
           error         = COALESCE(EXCLUDED.error, deployment_history.error),
           error_type    = COALESCE(EXCLUDED.error_type, deployment_history.error_type),
           finished_at   = COALESCE(EXCLUDED.finished_at, deployment_history.finished_at),
           approval      = COALESCE(EXCLUDED.approval, deployment_history.approval)
         WHERE deployment_history.status IS DISTINCT FROM EXCLUDED.status
            OR (EXCLUDED.approval IS NOT NULL AND deployment_history.approval IS DISTINCT FROM EXCLUDED.approval)
         RETURNING status IS DISTINCT FROM (SELECT status FROM earlier) AS transition`,
        [
          row.idempotencyKey, row.project, row.environment, row.action, row.status, row.imageRef ?? null, row.sha ?? null,
          row.manifestHash ?? null, row.valuesOverride ? JSON.stringify(row.valuesOverride) : null, row.error ?? null,
          row.errorType ?? null, row.requestId ?? null, row.requestedBy ?? null, row.reason ?? null, row.startedAt,
          row.finishedAt ?? null, row.approval ? JSON.stringify(row.approval) : null,
        ],
      );
      // Counted only when the status changed: a retried write, or one that only adds the approval, is not counted again.
      if (rows[0]?.transition) countHistoryTransition(row);
    },

    async recordCurrentState(state: CurrentStateRecord): Promise<void> {
      try {
        await pool.query(
          `INSERT INTO deployments (project, environment, desired_image, desired_status, current_status, current_image,
              current_sha, manifest_hash, deployed_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
           ON CONFLICT (project, environment) DO UPDATE SET
             desired_image = EXCLUDED.desired_image, desired_status = EXCLUDED.desired_status,
             current_status = EXCLUDED.current_status, current_image = EXCLUDED.current_image,
             current_sha = EXCLUDED.current_sha, manifest_hash = EXCLUDED.manifest_hash,
             deployed_at = EXCLUDED.deployed_at, updated_at = now()`,
          [
            state.project, state.environment, state.desiredImage ?? null, state.desiredStatus, state.currentStatus,
            state.currentImage ?? null, state.currentSha ?? null, state.manifestHash ?? null, state.deployedAt ?? null,
          ],
        );
      } catch (error) {
        if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
          throw ApplicationFailure.nonRetryable(
            `environment ${state.project}/${state.environment} is not registered, so its state cannot be recorded`,
            'EnvironmentNotFound',
          );
        }
        throw error;
      }
    },
  };
}

/**
 * A release's final row, written only while the row is still in progress; true when it was. An
 * attempt whose run has ended (terminated mid-rollout, its row since closed by the next run as
 * RunEnded) finds the row closed and changes nothing, however late its rollout finishes.
 */
export async function finishInProgressHistory(pool: ActivityDeps['pool'], row: HistoryRecord): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE deployment_history SET
       status        = $2,
       sha           = COALESCE($3, sha),
       manifest_hash = COALESCE($4, manifest_hash),
       finished_at   = $5
     WHERE idempotency_key = $1 AND status = 'in-progress'`,
    [row.idempotencyKey, row.status, row.sha ?? null, row.manifestHash ?? null, row.finishedAt ?? null],
  );
  if (!rowCount) return false;
  countHistoryTransition(row);
  return true;
}
