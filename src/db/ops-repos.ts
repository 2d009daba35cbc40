// Ops repositories as environments and the CLI name them: look-up by name, registration by name,
// and the record of a sync. The admin API's view (by id, with counts) is in ops-repo-admin.ts.
import type { Keyring } from '../crypto/keyring.js';
import { storedWebhookSecret } from '../crypto/webhook-secret.js';
import type pg from 'pg';
import type { OpsRepoRecord } from './ops-repo-admin.js';

export type OpsRepoRef = Pick<OpsRepoRecord, 'id' | 'name' | 'url' | 'branch' | 'path'>;

const columns = 'id::int AS id, name, url, branch, path';

export async function findOpsRepo(pool: pg.Pool, nameOrId: string | number): Promise<OpsRepoRef | undefined> {
  const byId = typeof nameOrId === 'number' || /^\d+$/.test(nameOrId);
  const { rows } = await pool.query<OpsRepoRef>(`SELECT ${columns} FROM ops_repos WHERE ${byId ? 'id' : 'name'} = $1`, [nameOrId]);
  return rows[0];
}

/**
 * Creates the repo, or updates the one of that name (registration is idempotent). The webhook
 * secret is set when given (sealed when there is a keyring), removed when null, and left as it is
 * when absent.
 */
export async function upsertOpsRepo(
  pool: pg.Pool | pg.PoolClient,
  repo: { name: string; url: string; branch: string; path: string; syncIntervalS?: number; webhookSecret?: string | null },
  keyring?: Keyring,
): Promise<OpsRepoRef> {
  const { rows } = await pool.query<OpsRepoRef>(
    `INSERT INTO ops_repos (name, url, branch, path, sync_interval_s, webhook_secret) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, branch = EXCLUDED.branch, path = EXCLUDED.path,
       sync_interval_s = EXCLUDED.sync_interval_s,
       webhook_secret = CASE WHEN $7 THEN EXCLUDED.webhook_secret ELSE ops_repos.webhook_secret END, updated_at = now()
     RETURNING ${columns}`,
    [repo.name, repo.url, repo.branch, repo.path, repo.syncIntervalS ?? 60, storedWebhookSecret(repo.webhookSecret ?? null, keyring), repo.webhookSecret !== undefined],
  );
  return rows[0]!;
}
