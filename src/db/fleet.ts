// The fleet: every registered environment with its recorded state, across projects, in one
// query. The dashboard's first page reads it on every load, so it must stay one round trip and
// bounded however many environments there are; filters run in SQL, not on the rows afterwards.
import type pg from 'pg';

/** What an environment's status reads as before its workflow recorded any state. */
export const NOT_DEPLOYED = 'new';

export interface FleetFilter {
  /** only this project (a project-bound token always sets it) */
  project?: string;
  /** only environments whose recorded status is this one (`new`: never recorded) */
  status?: string;
  /** a piece of the project, environment, namespace or an image, case-insensitive */
  text?: string;
  /** at most this many rows */
  limit: number;
}

export interface FleetRow {
  project: string;
  environment: string;
  namespace: string;
  /** the recorded status (healthy, deploying, failed, …), `new` before the first record */
  status: string;
  desiredStatus: 'running' | 'stopped';
  desiredImage: string | null;
  currentImage: string | null;
  currentSha: string | null;
  /** when the current release became healthy */
  deployedAt: Date | null;
  /** when the workflow last recorded the environment's state */
  updatedAt: Date | null;
}

interface RawFleetRow {
  project: string;
  environment: string;
  namespace: string;
  status: string;
  desired_status: 'running' | 'stopped';
  desired_image: string | null;
  current_image: string | null;
  current_sha: string | null;
  deployed_at: Date | null;
  updated_at: Date | null;
}

/** Escapes LIKE's wildcards so the text filter matches what was typed, `_` and `%` included. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The environments that pass `filter`, by project then environment, at most `filter.limit`. */
export async function listFleet(pool: pg.Pool, filter: FleetFilter): Promise<FleetRow[]> {
  const { rows } = await pool.query<RawFleetRow>(
    `SELECT e.project, e.name AS environment, e.namespace,
            COALESCE(d.current_status, '${NOT_DEPLOYED}') AS status,
            COALESCE(d.desired_status, 'running') AS desired_status,
            d.desired_image, d.current_image, d.current_sha, d.deployed_at, d.updated_at
       FROM environments e
       LEFT JOIN deployments d ON d.project = e.project AND d.environment = e.name
      WHERE ($1::text IS NULL OR e.project = $1)
        AND ($2::text IS NULL OR COALESCE(d.current_status, '${NOT_DEPLOYED}') = $2)
        AND ($3::text IS NULL
             OR e.project || '/' || e.name ILIKE $3
             OR e.namespace ILIKE $3
             OR d.current_image ILIKE $3
             OR d.desired_image ILIKE $3)
      ORDER BY e.project, e.name
      LIMIT $4`,
    [filter.project ?? null, filter.status ?? null, filter.text ? likePattern(filter.text) : null, filter.limit],
  );
  return rows.map((row) => ({
    project: row.project,
    environment: row.environment,
    namespace: row.namespace,
    status: row.status,
    desiredStatus: row.desired_status,
    desiredImage: row.desired_image,
    currentImage: row.current_image,
    currentSha: row.current_sha,
    deployedAt: row.deployed_at,
    updatedAt: row.updated_at,
  }));
}

/** The projects the fleet's project filter offers: those with environments, or only `project`. */
export async function listFleetProjects(pool: pg.Pool, project?: string): Promise<string[]> {
  const { rows } = await pool.query<{ project: string }>(
    `SELECT DISTINCT project FROM environments WHERE ($1::text IS NULL OR project = $1) ORDER BY project`,
    [project ?? null],
  );
  return rows.map((row) => row.project);
}
