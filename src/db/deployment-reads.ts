// Read-side queries of the deployments API: what each environment runs and what was done to it.
import type pg from 'pg';
import { runIdOfHistoryKey } from '../domain/history-key.js';
import type { ReleaseChanges } from '../domain/release-changes.js';
import type { ApprovalRecord } from '../domain/vocabulary.js';

export interface DeploymentStateRow {
  desiredImage: string | null;
  desiredStatus: string;
  currentStatus: string;
  currentImage: string | null;
  currentSha: string | null;
  manifestHash: string | null;
  deployedAt: Date | null;
  updatedAt: Date;
}

export interface ProjectEnvironmentRow {
  environment: string;
  namespace: string;
  opsRepo: string;
  manifestPath: string;
  /** null until the workflow recorded its first state */
  deployment: DeploymentStateRow | null;
}

export interface HistoryRow {
  id: number;
  action: string;
  status: string;
  imageRef: string | null;
  sha: string | null;
  manifestHash: string | null;
  valuesOverride: Record<string, unknown> | null;
  error: string | null;
  errorType: string | null;
  requestId: string | null;
  requestedBy: string | null;
  reason: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  /** what a release's apply did; null for other rows and releases recorded before it was kept */
  changes: ReleaseChanges | null;
  /** the decision on a request that waited for approval */
  approval: ApprovalRecord | null;
  /** the workflow run that wrote the row, when its key names one */
  runId: string | null;
}

interface RawDeployment {
  desired_image: string | null;
  desired_status: string | null;
  current_status: string | null;
  current_image: string | null;
  current_sha: string | null;
  manifest_hash: string | null;
  deployed_at: Date | null;
  updated_at: Date | null;
}

function deploymentFromRaw(row: RawDeployment): DeploymentStateRow | null {
  // A LEFT JOIN without a deployments row yields nulls in the NOT NULL columns.
  if (row.desired_status === null || row.current_status === null || row.updated_at === null) return null;
  return {
    desiredImage: row.desired_image,
    desiredStatus: row.desired_status,
    currentStatus: row.current_status,
    currentImage: row.current_image,
    currentSha: row.current_sha,
    manifestHash: row.manifest_hash,
    deployedAt: row.deployed_at,
    updatedAt: row.updated_at,
  };
}

const DEPLOYMENT_COLUMNS = `d.desired_image, d.desired_status, d.current_status, d.current_image, d.current_sha,
                            d.manifest_hash, d.deployed_at, d.updated_at`;

export async function projectExists(pool: pg.Pool, project: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM projects WHERE name = $1', [project]);
  return rowCount === 1;
}

export async function listProjectEnvironments(pool: pg.Pool, project: string): Promise<ProjectEnvironmentRow[]> {
  const { rows } = await pool.query<RawDeployment & { name: string; namespace: string; repo_name: string; manifest_path: string }>(
    `SELECT e.name, e.namespace, e.manifest_path, r.name AS repo_name, ${DEPLOYMENT_COLUMNS}
       FROM environments e
       JOIN ops_repos r ON r.id = e.ops_repo_id
       LEFT JOIN deployments d ON d.project = e.project AND d.environment = e.name
      WHERE e.project = $1
      ORDER BY e.name`,
    [project],
  );
  return rows.map((row) => ({
    environment: row.name,
    namespace: row.namespace,
    opsRepo: row.repo_name,
    manifestPath: row.manifest_path,
    deployment: deploymentFromRaw(row),
  }));
}

export async function findDeploymentState(pool: pg.Pool, project: string, environment: string): Promise<DeploymentStateRow | null> {
  const { rows } = await pool.query<RawDeployment>(
    `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d WHERE d.project = $1 AND d.environment = $2`,
    [project, environment],
  );
  return rows[0] ? deploymentFromRaw(rows[0]) : null;
}

interface RawHistoryRow {
  id: string;
  action: string;
  status: string;
  image_ref: string | null;
  sha: string | null;
  manifest_hash: string | null;
  values_override: Record<string, unknown> | null;
  error: string | null;
  error_type: string | null;
  request_id: string | null;
  requested_by: string | null;
  reason: string | null;
  started_at: Date;
  finished_at: Date | null;
  changes: ReleaseChanges | null;
  approval: ApprovalRecord | null;
  idempotency_key: string;
}

const HISTORY_COLUMNS = `id, action, status, image_ref, sha, manifest_hash, values_override, error, error_type, request_id,
            requested_by, reason, started_at, finished_at, changes, approval, idempotency_key`;

function historyFromRaw(row: RawHistoryRow): HistoryRow {
  return {
    id: Number(row.id),
    action: row.action,
    status: row.status,
    imageRef: row.image_ref,
    sha: row.sha,
    manifestHash: row.manifest_hash,
    valuesOverride: row.values_override,
    error: row.error,
    errorType: row.error_type,
    requestId: row.request_id,
    requestedBy: row.requested_by,
    reason: row.reason,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    changes: row.changes,
    approval: row.approval,
    runId: runIdOfHistoryKey(row.idempotency_key) ?? null,
  };
}

/** History rows newest first, only those with an id below `before` when given. */
export async function listHistory(
  pool: pg.Pool,
  project: string,
  environment: string,
  page: { limit: number; before?: number },
): Promise<HistoryRow[]> {
  const { rows } = await pool.query<RawHistoryRow>(
    `SELECT ${HISTORY_COLUMNS}
       FROM deployment_history
      WHERE project = $1 AND environment = $2 AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC
      LIMIT $4`,
    [project, environment, page.before ?? null, page.limit],
  );
  return rows.map(historyFromRaw);
}

/** The newest history row request `requestId` wrote (a release, a stop, a refusal), if it wrote one. */
export async function findRequestHistory(pool: pg.Pool, project: string, environment: string, requestId: string): Promise<HistoryRow | undefined> {
  const { rows } = await pool.query<RawHistoryRow>(
    `SELECT ${HISTORY_COLUMNS}
       FROM deployment_history
      WHERE project = $1 AND environment = $2 AND request_id = $3
      ORDER BY id DESC
      LIMIT 1`,
    [project, environment, requestId],
  );
  return rows[0] ? historyFromRaw(rows[0]) : undefined;
}
