// Environments as the API and the CLI register and read them: unlike registerEnvironment (which also
// upserts the ops repo by URL), registration here points at an ops repo that already exists.
import type pg from 'pg';
import type { EnvironmentPolicy } from '../domain/vocabulary.js';
import type { ServiceAccountRef } from '../domain/tenancy.js';
import type { Keyring } from '../crypto/keyring.js';
import type { SecretChanges, SecretFingerprint } from '../domain/secrets.js';
import { writeEnvironmentSecrets } from './environment-secrets.js';
import { writeEnvironmentRow } from './environments.js';

export type OpsRepoReference = { id: number } | { name: string };

export interface EnvironmentSettings {
  project: string;
  environment: string;
  opsRepo: OpsRepoReference;
  manifestPath: string;
  namespace: string;
  policy: Partial<EnvironmentPolicy>;
  valuesOverride: Record<string, unknown>;
  shareNamespace: boolean;
  impersonate?: ServiceAccountRef;
  /** secrets to set (a value) or delete (null); the others stay as they are */
  secrets?: SecretChanges;
}

export interface EnvironmentRecord {
  project: string;
  environment: string;
  namespace: string;
  cluster: string;
  manifestPath: string;
  /** only what was set for this environment; the defaults fill the rest */
  policy: Partial<EnvironmentPolicy>;
  valuesOverride: Record<string, unknown>;
  shareNamespace: boolean;
  impersonate: ServiceAccountRef | null;
  opsRepo: { id: number; name: string; url: string; branch: string; path: string };
  /** the stored secrets' fingerprints by name; values are never read here */
  secrets: Record<string, SecretFingerprint>;
  createdAt: Date;
  updatedAt: Date;
}

export class OpsRepoNotFound extends Error {
  constructor(readonly reference: OpsRepoReference) {
    super(`no ops repo ${'id' in reference ? `with id ${reference.id}` : `named ${JSON.stringify(reference.name)}`}`);
  }
}

/**
 * Creates the project when missing and creates or replaces the environment, and writes its secrets
 * (sealed with `keyring`), in one transaction: an unknown ops repo leaves nothing behind, not even
 * the project. Returns the fingerprints of the secrets set.
 */
export async function saveEnvironment(pool: pg.Pool, settings: EnvironmentSettings, keyring?: Keyring): Promise<{ created: boolean; fingerprints: Record<string, string> }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // KEY SHARE keeps the repo from being deleted until the environment references it.
    const { rows: repos } = await client.query<{ id: string }>(
      'id' in settings.opsRepo
        ? 'SELECT id FROM ops_repos WHERE id = $1 FOR KEY SHARE'
        : 'SELECT id FROM ops_repos WHERE name = $1 FOR KEY SHARE',
      ['id' in settings.opsRepo ? settings.opsRepo.id : settings.opsRepo.name],
    );
    if (!repos[0]) throw new OpsRepoNotFound(settings.opsRepo);
    await client.query('INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [settings.project]);
    const { created } = await writeEnvironmentRow(client, { ...settings, opsRepoId: repos[0].id });
    const fingerprints = await writeEnvironmentSecrets(client, keyring, settings.project, settings.environment, settings.secrets ?? {});
    await client.query('COMMIT');
    return { created, fingerprints };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

export async function findEnvironment(pool: pg.Pool, project: string, environment: string): Promise<EnvironmentRecord | undefined> {
  const { rows } = await pool.query<{
    namespace: string;
    cluster: string;
    manifest_path: string;
    policy: Partial<EnvironmentPolicy>;
    values_override: Record<string, unknown>;
    share_namespace: boolean;
    impersonate: ServiceAccountRef | null;
    created_at: Date;
    updated_at: Date;
    repo_id: string;
    repo_name: string;
    url: string;
    branch: string;
    path: string;
    secrets: Record<string, SecretFingerprint>;
  }>(
    `SELECT e.namespace, e.cluster, e.manifest_path, e.policy, e.values_override, e.share_namespace, e.impersonate, e.created_at, e.updated_at,
            r.id AS repo_id, r.name AS repo_name, r.url, r.branch, r.path,
            (SELECT coalesce(jsonb_object_agg(s.name, jsonb_build_object('fingerprint', s.fingerprint) ORDER BY s.name), '{}'::jsonb)
               FROM environment_secrets s WHERE s.project = e.project AND s.environment = e.name) AS secrets
       FROM environments e JOIN ops_repos r ON r.id = e.ops_repo_id
      WHERE e.project = $1 AND e.name = $2`,
    [project, environment],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    project,
    environment,
    namespace: row.namespace,
    cluster: row.cluster,
    manifestPath: row.manifest_path,
    policy: row.policy,
    valuesOverride: row.values_override,
    shareNamespace: row.share_namespace,
    impersonate: row.impersonate,
    opsRepo: { id: Number(row.repo_id), name: row.repo_name, url: row.url, branch: row.branch, path: row.path },
    secrets: row.secrets,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Replaces the environment's stored values override; false when the environment is not registered. */
export async function updateValuesOverride(
  pool: pg.Pool,
  project: string,
  environment: string,
  valuesOverride: Record<string, unknown>,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE environments SET values_override = $3, updated_at = now() WHERE project = $1 AND name = $2',
    [project, environment, JSON.stringify(valuesOverride)],
  );
  return rowCount === 1;
}
