// The git credentials of ops repositories (migration 005): sealed for their row, so a sealed value
// copied to another repository does not open; only the worker's git opens them.
import type pg from 'pg';
import { fingerprint, open, seal, UnsealError, type Keyring } from '../crypto/keyring.js';
import { userError } from '../domain/errors.js';
import { credentialsText, type GitCredentials } from '../domain/git-credentials.js';
import { SecretsNeedKeys } from './environment-secrets.js';

const context = (id: number | string) => `ops-repo-credentials:${id}`;

/** Sets (or with null removes) the credentials of ops repo `id`, inside the caller's transaction or not. */
export async function writeOpsRepoCredentials(db: pg.Pool | pg.PoolClient, keyring: Keyring | undefined, id: number | string, credentials: GitCredentials | null): Promise<void> {
  if (credentials === null) {
    await db.query('UPDATE ops_repos SET credentials_sealed = NULL, credentials_kind = NULL, credentials_fingerprint = NULL WHERE id = $1', [id]);
    return;
  }
  if (!keyring) throw new SecretsNeedKeys();
  await db.query('UPDATE ops_repos SET credentials_sealed = $2, credentials_kind = $3, credentials_fingerprint = $4 WHERE id = $1', [
    id,
    seal(keyring, Buffer.from(JSON.stringify(credentials), 'utf8'), context(id)),
    credentials.kind,
    fingerprint(keyring, credentialsText(credentials)),
  ]);
}

/**
 * The credentials to fetch `url` with: those of the ops repo rows of that URL (rows sharing a URL
 * share one remote; the most recently changed row's credentials win), or undefined when none has
 * any. Credentials that cannot be opened fail the fetch, naming the variable to fix.
 */
export async function loadGitCredentials(pool: pg.Pool, keyring: Keyring | undefined, url: string): Promise<GitCredentials | undefined> {
  const { rows } = await pool.query<{ id: string; name: string; credentials_sealed: Buffer }>(
    'SELECT id, name, credentials_sealed FROM ops_repos WHERE url = $1 AND credentials_sealed IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT 1',
    [url],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!keyring) throw userError(`ops repo ${row.name} has git credentials and DEPLOYER_PAYLOAD_KEYS is not set on this worker: set it to the keys they were stored with`, 'InvalidOpsRepo');
  try {
    return JSON.parse(open(keyring, row.credentials_sealed, context(row.id)).toString('utf8')) as GitCredentials;
  } catch (error) {
    if (error instanceof UnsealError) throw userError(`the git credentials of ops repo ${row.name} cannot be opened: ${error.message}`, 'InvalidOpsRepo');
    throw error;
  }
}
