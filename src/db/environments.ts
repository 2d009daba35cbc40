// Registering projects, ops repositories and environments: the rows an environment workflow
// loads before every deployment.
import type pg from 'pg';
import type { EnvironmentPolicy, OpsRepoSource } from '../../activities/types.js';
import { upsertOpsRepo } from './ops-repos.js';

export interface EnvironmentRegistration {
  project: string;
  environment: string;
  opsRepo: OpsRepoSource & { name: string };
  manifestPath: string;
  namespace: string;
  policy?: Partial<EnvironmentPolicy>;
  valuesOverride?: Record<string, unknown>;
}

/** Creates or updates the project, the ops repo (by name) and the environment in one transaction. */
export async function registerEnvironment(pool: pg.Pool, registration: EnvironmentRegistration): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [registration.project]);
    const opsRepo = await upsertOpsRepo(client, registration.opsRepo);
    await client.query(
      `INSERT INTO environments (project, name, ops_repo_id, manifest_path, namespace, policy, values_override)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (project, name) DO UPDATE SET ops_repo_id = EXCLUDED.ops_repo_id, manifest_path = EXCLUDED.manifest_path,
         namespace = EXCLUDED.namespace, policy = EXCLUDED.policy, values_override = EXCLUDED.values_override, updated_at = now()`,
      [
        registration.project, registration.environment, opsRepo.id, registration.manifestPath, registration.namespace,
        JSON.stringify(registration.policy ?? {}), JSON.stringify(registration.valuesOverride ?? {}),
      ],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
