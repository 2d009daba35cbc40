// Ops repositories by URL and branch, as their poller sees them: every row sharing the pair (each
// with its own path and environments), the head it last recorded, and whether that head is fresh
// enough for a deployment to use without fetching again.
import type pg from 'pg';
import type { RepoRowOnBranch } from '../domain/ops-repo-changes.js';

export interface OpsRepoBranch {
  url: string;
  branch: string;
}

export interface BranchRow extends RepoRowOnBranch {
  id: number;
  syncIntervalS: number;
}

/** Every URL and branch some ops repo row names: one poller each. */
export async function listOpsRepoBranches(pool: pg.Pool): Promise<OpsRepoBranch[]> {
  const { rows } = await pool.query<OpsRepoBranch>('SELECT DISTINCT url, branch FROM ops_repos ORDER BY url, branch');
  return rows;
}

/** The rows on `url` and `branch` with the environments that render from each; empty when none is left. */
export async function loadBranchRows(pool: pg.Pool, { url, branch }: OpsRepoBranch): Promise<BranchRow[]> {
  const { rows } = await pool.query<{
    id: string;
    name: string;
    path: string;
    sync_interval_s: number;
    last_sha: string | null;
    environments: Array<{ project: string; environment: string }>;
  }>(
    `SELECT r.id, r.name, r.path, r.sync_interval_s, r.last_sha,
            COALESCE((SELECT json_agg(json_build_object('project', e.project, 'environment', e.name) ORDER BY e.project, e.name)
                        FROM environments e WHERE e.ops_repo_id = r.id), '[]'::json) AS environments
       FROM ops_repos r
      WHERE r.url = $1 AND r.branch = $2
      ORDER BY r.name`,
    [url, branch],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    path: row.path,
    syncIntervalS: row.sync_interval_s,
    lastSha: row.last_sha,
    environments: row.environments,
  }));
}

/** The branch was fetched just now and its head is `sha`: every row sharing it says so. */
export async function recordBranchHead(pool: pg.Pool, { url, branch }: OpsRepoBranch, sha: string): Promise<void> {
  await pool.query('UPDATE ops_repos SET last_sha = $3, last_synced_at = now() WHERE url = $1 AND branch = $2', [url, branch, sha]);
}

/**
 * The head last recorded for `url` and `branch` when it was fetched within the poll interval (the
 * smallest sync_interval_s of the rows sharing it, as the poller uses): the poller is keeping it
 * current, so a deployment need not ask the remote again. Undefined otherwise. Postgres's clock
 * judges the age, the same clock that stamped it.
 */
export async function findFreshBranchHead(pool: pg.Pool, { url, branch }: OpsRepoBranch): Promise<string | undefined> {
  const { rows } = await pool.query<{ last_sha: string }>(
    `SELECT last_sha FROM ops_repos
      WHERE url = $1 AND branch = $2 AND last_sha IS NOT NULL
        AND last_synced_at > now() - make_interval(secs => (SELECT min(sync_interval_s) FROM ops_repos WHERE url = $1 AND branch = $2))
      ORDER BY last_synced_at DESC
      LIMIT 1`,
    [url, branch],
  );
  return rows[0]?.last_sha;
}
