// Ops repositories: where environments' templates and values live.
import type pg from 'pg';

export interface OpsRepoRow {
  id: number;
  name: string;
  url: string;
  branch: string;
  path: string;
  sync_interval_s: number;
  last_synced_at: Date | null;
  last_sha: string | null;
}

const columns = 'id::int AS id, name, url, branch, path, sync_interval_s, last_synced_at, last_sha';

export async function listOpsRepos(pool: pg.Pool): Promise<OpsRepoRow[]> {
  return (await pool.query<OpsRepoRow>(`SELECT ${columns} FROM ops_repos ORDER BY name`)).rows;
}

export async function findOpsRepo(pool: pg.Pool, nameOrId: string | number): Promise<OpsRepoRow | undefined> {
  const byId = typeof nameOrId === 'number' || /^\d+$/.test(nameOrId);
  const { rows } = await pool.query<OpsRepoRow>(`SELECT ${columns} FROM ops_repos WHERE ${byId ? 'id' : 'name'} = $1`, [nameOrId]);
  return rows[0];
}

export async function upsertOpsRepo(
  pool: pg.Pool | pg.PoolClient,
  repo: { name: string; url: string; branch: string; path: string; syncIntervalS?: number },
): Promise<OpsRepoRow> {
  const { rows } = await pool.query<OpsRepoRow>(
    `INSERT INTO ops_repos (name, url, branch, path, sync_interval_s) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, branch = EXCLUDED.branch, path = EXCLUDED.path,
       sync_interval_s = EXCLUDED.sync_interval_s, updated_at = now()
     RETURNING ${columns}`,
    [repo.name, repo.url, repo.branch, repo.path, repo.syncIntervalS ?? 60],
  );
  return rows[0]!;
}

export async function recordOpsRepoSync(pool: pg.Pool, id: number, sha: string): Promise<void> {
  await pool.query('UPDATE ops_repos SET last_sha = $2, last_synced_at = now() WHERE id = $1', [id, sha]);
}
