// Registering projects, ops repositories and environments: the rows an environment workflow
// loads before every deployment.
import type pg from 'pg';
import type { EnvironmentPolicy, OpsRepoSource } from '../domain/vocabulary.js';
import type { ServiceAccountRef } from '../domain/tenancy.js';
import { upsertOpsRepo } from './ops-repos.js';
import { claimNamespace } from './tenancy.js';

export interface EnvironmentRegistration {
  project: string;
  environment: string;
  opsRepo: OpsRepoSource & { name: string };
  manifestPath: string;
  namespace: string;
  policy?: Partial<EnvironmentPolicy>;
  valuesOverride?: Record<string, unknown>;
  /** other environments of the project may use the namespace too */
  shareNamespace?: boolean;
  /** the service account the environment's Kubernetes calls act as */
  impersonate?: ServiceAccountRef;
}

/** The environment row, written inside the caller's transaction after the namespace is claimed. */
export async function writeEnvironmentRow(
  client: pg.PoolClient,
  row: { project: string; environment: string; opsRepoId: number | string; manifestPath: string; namespace: string; policy: Partial<EnvironmentPolicy>; valuesOverride: Record<string, unknown>; shareNamespace: boolean; impersonate?: ServiceAccountRef },
): Promise<{ created: boolean }> {
  await claimNamespace(client, row);
  const { rows } = await client.query<{ created: boolean }>(
    `INSERT INTO environments (project, name, ops_repo_id, manifest_path, namespace, policy, values_override, share_namespace, impersonate)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (project, name) DO UPDATE SET ops_repo_id = EXCLUDED.ops_repo_id, manifest_path = EXCLUDED.manifest_path,
       namespace = EXCLUDED.namespace, policy = EXCLUDED.policy, values_override = EXCLUDED.values_override,
       share_namespace = EXCLUDED.share_namespace, impersonate = EXCLUDED.impersonate, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [
      row.project, row.environment, row.opsRepoId, row.manifestPath, row.namespace, JSON.stringify(row.policy), JSON.stringify(row.valuesOverride),
      row.shareNamespace, row.impersonate ? JSON.stringify(row.impersonate) : null,
    ],
  );
  return { created: rows[0]!.created };
}

/**
 * Creates or updates the project, the ops repo (by name) and the environment in one transaction,
 * claiming the namespace for the project (NamespaceClaimConflict when another project has it).
 */
export async function registerEnvironment(pool: pg.Pool, registration: EnvironmentRegistration): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [registration.project]);
    const opsRepo = await upsertOpsRepo(client, registration.opsRepo);
    await writeEnvironmentRow(client, {
      ...registration,
      opsRepoId: opsRepo.id,
      policy: registration.policy ?? {},
      valuesOverride: registration.valuesOverride ?? {},
      shareNamespace: registration.shareNamespace ?? false,
    });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
