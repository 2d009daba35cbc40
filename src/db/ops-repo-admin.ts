// The ops_repos table as the admin API sees it: rows by id with timestamps and how many environments
// use each, and the create/update/delete that can clash with names and references.
import type pg from 'pg';
import type { Keyring } from '../crypto/keyring.js';
import { storedWebhookSecret } from '../crypto/webhook-secret.js';
import type { GitCredentials, GitCredentialsSummary } from '../domain/git-credentials.js';
import { writeOpsRepoCredentials } from './ops-repo-credentials.js';

export interface OpsRepoRecord {
  id: number;
  name: string;
  url: string;
  branch: string;
  path: string;
  syncIntervalS: number;
  lastSyncedAt: Date | null;
  lastSha: string | null;
  /** whether pushes must be signed with a webhook secret; the secret itself is never read here */
  webhookSecretSet: boolean;
  /** the kind and fingerprint of the git credentials; the credentials themselves are never read here */
  credentials: GitCredentialsSummary | null;
  createdAt: Date;
  updatedAt: Date;
  environmentCount: number;
}

export interface OpsRepoFields {
  name: string;
  url: string;
  branch: string;
  path: string;
  syncIntervalS: number;
  /** the push webhook's secret; null removes it (update), absent leaves it as it is */
  webhookSecret?: string | null;
  /** the git credentials, sealed with the keyring given; null removes them (update), absent leaves them */
  credentials?: GitCredentials | null;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

export class OpsRepoNameTaken extends Error {
  constructor(readonly repoName: string) {
    super(`an ops repo named "${repoName}" already exists`);
  }
}

export class OpsRepoInUse extends Error {
  constructor(readonly environments: string[]) {
    super(`the ops repo is used by ${environments.length} environment(s): ${environments.join(', ')}`);
  }
}

const SELECT = `SELECT r.id, r.name, r.url, r.branch, r.path, r.sync_interval_s, r.last_synced_at, r.last_sha,
                       r.webhook_secret IS NOT NULL AS webhook_secret_set, r.credentials_kind, r.credentials_fingerprint, r.created_at, r.updated_at,
                       (SELECT count(*) FROM environments e WHERE e.ops_repo_id = r.id) AS environment_count
                  FROM ops_repos r`;

interface RawRow {
  id: string;
  name: string;
  url: string;
  branch: string;
  path: string;
  sync_interval_s: number;
  last_synced_at: Date | null;
  last_sha: string | null;
  webhook_secret_set: boolean;
  credentials_kind: GitCredentialsSummary['kind'] | null;
  credentials_fingerprint: string | null;
  created_at: Date;
  updated_at: Date;
  environment_count: string;
}

function fromRaw(row: RawRow): OpsRepoRecord {
  return {
    id: Number(row.id),
    name: row.name,
    url: row.url,
    branch: row.branch,
    path: row.path,
    syncIntervalS: row.sync_interval_s,
    lastSyncedAt: row.last_synced_at,
    lastSha: row.last_sha,
    webhookSecretSet: row.webhook_secret_set,
    credentials: row.credentials_kind && row.credentials_fingerprint ? { kind: row.credentials_kind, fingerprint: row.credentials_fingerprint } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    environmentCount: Number(row.environment_count),
  };
}

function rethrowNameClash(error: unknown, name: string | undefined): never {
  if ((error as { code?: string }).code === UNIQUE_VIOLATION && name !== undefined) throw new OpsRepoNameTaken(name);
  throw error;
}

export async function listOpsRepoRecords(pool: pg.Pool): Promise<OpsRepoRecord[]> {
  const { rows } = await pool.query<RawRow>(`${SELECT} ORDER BY r.name`);
  return rows.map(fromRaw);
}

export async function findOpsRepoRecord(pool: pg.Pool, id: number): Promise<OpsRepoRecord | undefined> {
  const { rows } = await pool.query<RawRow>(`${SELECT} WHERE r.id = $1`, [id]);
  return rows[0] && fromRaw(rows[0]);
}

export async function createOpsRepo(pool: pg.Pool, fields: OpsRepoFields, keyring?: Keyring): Promise<OpsRepoRecord> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO ops_repos (name, url, branch, path, sync_interval_s, webhook_secret) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [fields.name, fields.url, fields.branch, fields.path, fields.syncIntervalS, storedWebhookSecret(fields.webhookSecret ?? null, keyring)],
    );
    // Sealed for the row's id, which the insert just made.
    if (fields.credentials) await writeOpsRepoCredentials(client, keyring, rows[0]!.id, fields.credentials);
    await client.query('COMMIT');
    return (await findOpsRepoRecord(pool, Number(rows[0]!.id)))!;
  } catch (error) {
    await client.query('ROLLBACK');
    rethrowNameClash(error, fields.name);
  } finally {
    client.release();
  }
}

/** Updates the given fields; undefined when no repo has that id. */
export async function updateOpsRepo(pool: pg.Pool, id: number, fields: Partial<OpsRepoFields>, keyring?: Keyring): Promise<OpsRepoRecord | undefined> {
  const columns: Array<[string, unknown]> = [
    ['name', fields.name],
    ['url', fields.url],
    ['branch', fields.branch],
    ['path', fields.path],
    ['sync_interval_s', fields.syncIntervalS],
    ['webhook_secret', storedWebhookSecret(fields.webhookSecret, keyring)],
  ];
  const changed = columns.filter(([, value]) => value !== undefined);
  const assignments = changed.map(([column], index) => `${column} = $${index + 2}`);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `UPDATE ops_repos SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = $1`,
      [id, ...changed.map(([, value]) => value)],
    );
    if (rowCount !== 0 && fields.credentials !== undefined) await writeOpsRepoCredentials(client, keyring, id, fields.credentials);
    await client.query('COMMIT');
    return rowCount === 0 ? undefined : findOpsRepoRecord(pool, id);
  } catch (error) {
    await client.query('ROLLBACK');
    rethrowNameClash(error, fields.name);
  } finally {
    client.release();
  }
}

/**
 * Deletes the repo unless an environment uses it; the foreign key decides, so an environment
 * registered concurrently cannot be left pointing at nothing. False when no repo has that id.
 */
export async function deleteOpsRepo(pool: pg.Pool, id: number): Promise<boolean> {
  try {
    const { rowCount } = await pool.query('DELETE FROM ops_repos WHERE id = $1', [id]);
    return rowCount === 1;
  } catch (error) {
    if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
    const { rows } = await pool.query<{ env: string }>(
      `SELECT project || '/' || name AS env FROM environments WHERE ops_repo_id = $1 ORDER BY 1`,
      [id],
    );
    throw new OpsRepoInUse(rows.map((row) => row.env));
  }
}
