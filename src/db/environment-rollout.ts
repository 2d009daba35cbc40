// The rollout in flight per environment, as its health step last saw it (environment_rollout), and
// the notice that tells the API's live feed to read it: an environment's page follows the replica
// counts as they change, not as Temporal's throttled heartbeats carry them.
import type pg from 'pg';
import type { EnvironmentRef, RolloutProgress } from '../domain/vocabulary.js';
import { LIVE_STATUS_CHANNEL } from './live-status.js';

/** Which step it came from: the workflow run and the activity that waits for the rollout. */
export interface RolloutSource {
  runId: string;
  activityId: string;
}

export interface RolloutReport extends EnvironmentRef, RolloutSource {
  workloads: RolloutProgress[];
}

export interface StoredRollout extends RolloutSource {
  workloads: RolloutProgress[];
}

/** Keeps the report for a registered environment (a workflow may outlive its registration) and notifies the feed. */
export async function writeRolloutProgress(pool: pg.Pool, report: RolloutReport): Promise<void> {
  await pool.query(
    `WITH written AS (
       INSERT INTO environment_rollout AS r (project, environment, run_id, activity_id, workloads, reported_at)
       SELECT e.project, e.name, $3, $4, $5::jsonb, clock_timestamp() FROM environments e WHERE e.project = $1 AND e.name = $2
       ON CONFLICT (project, environment) DO UPDATE
          SET run_id = EXCLUDED.run_id, activity_id = EXCLUDED.activity_id, workloads = EXCLUDED.workloads, reported_at = EXCLUDED.reported_at
       RETURNING r.project, r.environment)
     SELECT pg_notify($6, json_build_array(json_build_array(project, environment))::text) FROM written`,
    [report.project, report.environment, report.runId, report.activityId, JSON.stringify(report.workloads), LIVE_STATUS_CHANNEL],
  );
}

export async function findRolloutProgress(pool: pg.Pool, project: string, environment: string): Promise<StoredRollout | null> {
  const { rows } = await pool.query<{ run_id: string; activity_id: string; workloads: RolloutProgress[] }>(
    'SELECT run_id, activity_id, workloads FROM environment_rollout WHERE project = $1 AND environment = $2',
    [project, environment],
  );
  const row = rows[0];
  return row ? { runId: row.run_id, activityId: row.activity_id, workloads: row.workloads } : null;
}
