// The fleet: every registered environment with its recorded state, across projects, in one
// query. The dashboard's first page reads it on every load, so it must stay one round trip and
// bounded however many environments there are; filters run in SQL, not on the rows afterwards.
import type pg from 'pg';
import type { LivePhase } from '../domain/live-status.js';
import type { EnvironmentRef } from '../domain/vocabulary.js';

/** What an environment's status reads as before its workflow recorded any state. */
export const NOT_DEPLOYED = 'new';

export interface FleetFilter {
  /** only this project (a project-bound token always sets it) */
  project?: string;
  /** only environments whose status is this one (live when reported, else recorded; `new`: neither) */
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
  /** the live status when the workflow reported one, else the recorded one; `new` before either */
  status: LivePhase | string;
  /** deploying: the step; waiting: what for (minimum interval, approval, freeze); a drift pass under way */
  statusDetail: string | null;
  /** when the wait ends, when known */
  waitUntil: Date | null;
  desiredStatus: 'running' | 'stopped';
  desiredImage: string | null;
  currentImage: string | null;
  currentSha: string | null;
  /** when the current release became healthy */
  deployedAt: Date | null;
  /** when the workflow last recorded the environment's state */
  updatedAt: Date | null;
  /** when a drift pass last put the cluster back to the desired release */
  driftCorrectedAt: Date | null;
}

interface RawFleetRow {
  project: string;
  environment: string;
  namespace: string;
  status: string;
  status_detail: string | null;
  wait_until: Date | null;
  desired_status: 'running' | 'stopped';
  desired_image: string | null;
  current_image: string | null;
  current_sha: string | null;
  deployed_at: Date | null;
  updated_at: Date | null;
  drift_corrected_at: Date | null;
}

/** Escapes LIKE's wildcards so the text filter matches what was typed, `_` and `%` included. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const STATUS = `COALESCE(l.phase, d.current_status, '${NOT_DEPLOYED}')`;

// The last correction is one probe of a partial index per environment (migration 010).
const FLEET_SELECT = `
  SELECT e.project, e.name AS environment, e.namespace,
         ${STATUS} AS status, l.detail AS status_detail, l.until AS wait_until,
         COALESCE(d.desired_status, 'running') AS desired_status,
         d.desired_image, d.current_image, d.current_sha, d.deployed_at, d.updated_at,
         (SELECT h.finished_at FROM deployment_history h
           WHERE h.project = e.project AND h.environment = e.name AND h.status = 'corrected'
           ORDER BY h.id DESC LIMIT 1) AS drift_corrected_at
    FROM environments e
    LEFT JOIN deployments d ON d.project = e.project AND d.environment = e.name
    LEFT JOIN environment_live l ON l.project = e.project AND l.environment = e.name`;

/** The environments that pass `filter`, by project then environment, at most `filter.limit`. */
export async function listFleet(pool: pg.Pool, filter: FleetFilter): Promise<FleetRow[]> {
  const { rows } = await pool.query<RawFleetRow>(
    `${FLEET_SELECT}
      WHERE ($1::text IS NULL OR e.project = $1)
        AND ($2::text IS NULL OR ${STATUS} = $2)
        AND ($3::text IS NULL
             OR e.project || '/' || e.name ILIKE $3
             OR e.namespace ILIKE $3
             OR d.current_image ILIKE $3
             OR d.desired_image ILIKE $3)
      ORDER BY e.project, e.name
      LIMIT $4`,
    [filter.project ?? null, filter.status ?? null, filter.text ? likePattern(filter.text) : null, filter.limit],
  );
  return rows.map(toFleetRow);
}

/** The fleet rows of these environments (those still registered): what the live feed sends. */
export async function findFleetRows(pool: pg.Pool, refs: EnvironmentRef[]): Promise<FleetRow[]> {
  if (refs.length === 0) return [];
  const { rows } = await pool.query<RawFleetRow>(
    `${FLEET_SELECT}
       JOIN unnest($1::text[], $2::text[]) AS r (project, environment) ON r.project = e.project AND r.environment = e.name
      ORDER BY e.project, e.name`,
    [refs.map((ref) => ref.project), refs.map((ref) => ref.environment)],
  );
  return rows.map(toFleetRow);
}

function toFleetRow(row: RawFleetRow): FleetRow {
  return {
    project: row.project,
    environment: row.environment,
    namespace: row.namespace,
    status: row.status,
    statusDetail: row.status_detail,
    waitUntil: row.wait_until,
    desiredStatus: row.desired_status,
    desiredImage: row.desired_image,
    currentImage: row.current_image,
    currentSha: row.current_sha,
    deployedAt: row.deployed_at,
    updatedAt: row.updated_at,
    driftCorrectedAt: row.drift_corrected_at,
  };
}

/** The projects the fleet's project filter offers: those with environments, or only `project`. */
export async function listFleetProjects(pool: pg.Pool, project?: string): Promise<string[]> {
  const { rows } = await pool.query<{ project: string }>(
    `SELECT DISTINCT project FROM environments WHERE ($1::text IS NULL OR project = $1) ORDER BY project`,
    [project ?? null],
  );
  return rows.map((row) => row.project);
}
