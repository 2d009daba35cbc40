// Reads back an environment's record for a workflow run that starts without carried state, and
// closes the history rows the ended run left `in-progress`: nothing will ever finish them, and a
// row that says in progress forever misleads everyone who reads the history.
import type pg from 'pg';
import type { RecordedRelease, RecordedReleaseAction, RecordedReleaseStatus, RecordedState, RecordedStateQuery } from '../domain/recorded-state.js';

interface ReleaseRow {
  id: string;
  seq: string;
  action: RecordedReleaseAction;
  status: RecordedReleaseStatus;
  image_ref: string;
  sha: string | null;
  manifest_hash: string | null;
  values_override: Record<string, unknown> | null;
  request_id: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

const ENDED_RUN_ERROR = "the environment's workflow run ended before this finished; the next run closed it";

// Deploys and rollbacks that produced a release; refusals (a rollback with nothing to roll back
// to) are recorded as failed rows of the same actions but never ran.
const RELEASE_ROWS = `
  project = $1 AND environment = $2 AND action IN ('deploy', 'rollback', 'auto-rollback')
  AND image_ref IS NOT NULL AND error_type IS DISTINCT FROM 'RequestRefused'`;

export async function readRecordedState(pool: pg.Pool, query: RecordedStateQuery): Promise<RecordedState> {
  const closed = await pool.query(
    `UPDATE deployment_history SET status = 'failed', error = COALESCE(error, $3), error_type = COALESCE(error_type, 'RunEnded'),
            finished_at = COALESCE(finished_at, now())
      WHERE project = $1 AND environment = $2 AND status = 'in-progress'`,
    [query.project, query.environment, ENDED_RUN_ERROR],
  );
  const { rows } = await pool.query<ReleaseRow>(
    `SELECT * FROM (
       SELECT id, row_number() OVER (ORDER BY id) AS seq, action, status, image_ref, sha, manifest_hash, values_override,
              request_id, error, started_at, finished_at
         FROM deployment_history WHERE ${RELEASE_ROWS}) numbered
      ORDER BY id DESC LIMIT $3`,
    [query.project, query.environment, query.limit],
  );
  const count = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM deployment_history WHERE ${RELEASE_ROWS}`, [query.project, query.environment]);
  const stopped = await pool.query<{ desired_status: string }>(
    'SELECT desired_status FROM deployments WHERE project = $1 AND environment = $2',
    [query.project, query.environment],
  );
  return {
    releases: rows.map(toRelease),
    releaseCount: Number(count.rows[0]?.n ?? 0),
    stopped: stopped.rows[0]?.desired_status === 'stopped',
    closedInProgress: closed.rowCount ?? 0,
  };
}

function toRelease(row: ReleaseRow): RecordedRelease {
  return {
    seq: Number(row.seq),
    action: row.action,
    imageRef: row.image_ref,
    ...(row.sha ? { opsSha: row.sha } : {}),
    ...(row.manifest_hash ? { manifestHash: row.manifest_hash } : {}),
    ...(row.values_override ? { valuesOverride: row.values_override } : {}),
    status: row.status,
    requestId: row.request_id ?? `recorded-${row.id}`,
    startedAt: row.started_at.getTime(),
    ...(row.finished_at ? { finishedAt: row.finished_at.getTime() } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}
