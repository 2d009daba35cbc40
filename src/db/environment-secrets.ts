// An environment's secrets (migration 005): written sealed with a fingerprint beside each value,
// read back as fingerprints by the API and opened only by the worker's render. Each value is
// sealed for its own project, environment and name, so a row copied elsewhere does not open.
import type pg from 'pg';
import { fingerprint, open, seal, UnsealError, type Keyring } from '../crypto/keyring.js';
import { userError } from '../domain/errors.js';
import { MAX_SECRETS_PER_ENVIRONMENT, type SecretChanges, type SecretFingerprint } from '../domain/secrets.js';

/** Secrets were given but this process has no DEPLOYER_PAYLOAD_KEYS to seal them with. */
export class SecretsNeedKeys extends Error {
  constructor() {
    super('storing secrets needs DEPLOYER_PAYLOAD_KEYS: set it (the same keys on the API server and every worker) so that secrets are stored encrypted');
    this.name = 'SecretsNeedKeys';
  }
}

/** The write would leave the environment with more secrets than it may hold. */
export class TooManySecrets extends Error {
  constructor(readonly count: number) {
    super(`an environment may hold at most ${MAX_SECRETS_PER_ENVIRONMENT} secrets; this write would leave ${count}`);
    this.name = 'TooManySecrets';
  }
}

/** The failure type of a render whose environment's secrets cannot be opened. */
export const SecretsUnavailable = 'SecretsUnavailable';

function secretContext(project: string, environment: string, name: string): string {
  return `environment-secret:${project}/${environment}/${name}`;
}

/**
 * Applies `changes` inside the caller's transaction (the environment row must exist): a value is
 * sealed and set, null deletes. Returns the fingerprints of the values set.
 */
export async function writeEnvironmentSecrets(
  client: pg.PoolClient,
  keyring: Keyring | undefined,
  project: string,
  environment: string,
  changes: SecretChanges,
): Promise<Record<string, string>> {
  const entries = Object.entries(changes);
  if (entries.length === 0) return {};
  const fingerprints: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === null) {
      await client.query('DELETE FROM environment_secrets WHERE project = $1 AND environment = $2 AND name = $3', [project, environment, name]);
      continue;
    }
    if (!keyring) throw new SecretsNeedKeys();
    fingerprints[name] = fingerprint(keyring, value);
    await client.query(
      `INSERT INTO environment_secrets (project, environment, name, sealed, fingerprint) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project, environment, name) DO UPDATE SET sealed = EXCLUDED.sealed, fingerprint = EXCLUDED.fingerprint, updated_at = now()`,
      [project, environment, name, seal(keyring, Buffer.from(value, 'utf8'), secretContext(project, environment, name)), fingerprints[name]],
    );
  }
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM environment_secrets WHERE project = $1 AND environment = $2', [project, environment]);
  const count = Number(rows[0]!.n);
  if (count > MAX_SECRETS_PER_ENVIRONMENT) throw new TooManySecrets(count);
  return fingerprints;
}

/** Runs writeEnvironmentSecrets in a transaction of its own; false when the environment is not registered. */
export async function updateEnvironmentSecrets(pool: pg.Pool, keyring: Keyring | undefined, project: string, environment: string, changes: SecretChanges): Promise<Record<string, string>> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The row lock keeps a concurrent re-registration from interleaving with the count check.
    await client.query('SELECT 1 FROM environments WHERE project = $1 AND name = $2 FOR UPDATE', [project, environment]);
    const fingerprints = await writeEnvironmentSecrets(client, keyring, project, environment, changes);
    await client.query('COMMIT');
    return fingerprints;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** What reads show: each secret's name and fingerprint, never its value. */
export async function secretFingerprints(pool: pg.Pool, project: string, environment: string): Promise<Record<string, SecretFingerprint>> {
  const { rows } = await pool.query<{ name: string; fingerprint: string }>(
    'SELECT name, fingerprint FROM environment_secrets WHERE project = $1 AND environment = $2 ORDER BY name',
    [project, environment],
  );
  return Object.fromEntries(rows.map((row) => [row.name, { fingerprint: row.fingerprint }]));
}

/**
 * The environment's secrets in the clear, for its render. An environment with secrets and a
 * process without keys is an error naming the variable, never a render without them.
 */
export async function openEnvironmentSecrets(pool: pg.Pool, keyring: Keyring | undefined, project: string, environment: string): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; sealed: Buffer }>(
    'SELECT name, sealed FROM environment_secrets WHERE project = $1 AND environment = $2 ORDER BY name',
    [project, environment],
  );
  if (rows.length === 0) return {};
  // Neither is fixed by trying again: the release fails at once, naming what to set.
  if (!keyring) {
    throw userError(`${project}/${environment} has secrets (${rows.map((r) => r.name).join(', ')}) and DEPLOYER_PAYLOAD_KEYS is not set on this worker: set it to the keys they were stored with`, SecretsUnavailable);
  }
  return Object.fromEntries(
    rows.map((row) => {
      try {
        return [row.name, open(keyring, row.sealed, secretContext(project, environment, row.name)).toString('utf8')];
      } catch (error) {
        if (error instanceof UnsealError) throw userError(`secrets.${row.name} of ${project}/${environment} cannot be opened: ${error.message}`, SecretsUnavailable);
        throw error;
      }
    }),
  );
}
