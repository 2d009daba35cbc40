// Namespace claims and project policies: which project owns a namespace, and what a project's
// environments may touch.
import type pg from 'pg';
import type { ProjectPolicy } from '../domain/tenancy.js';

/** A namespace another project claims, or another environment of the project uses unshared. */
export class NamespaceClaimConflict extends Error {
  constructor(
    readonly namespace: string,
    readonly owner: { project: string; environment?: string },
  ) {
    super(
      owner.environment === undefined
        ? `namespace ${namespace} belongs to project ${owner.project}`
        : `namespace ${namespace} is used by environment ${owner.project}/${owner.environment}; register with share_namespace to share it within the project`,
    );
    this.name = 'NamespaceClaimConflict';
  }
}

/**
 * Claims `namespace` for the project of the environment being registered, inside the caller's
 * transaction (it locks the claim row). Another project's claim, or another environment of the
 * same project in that namespace when this registration does not share it, is a conflict.
 */
export async function claimNamespace(
  client: pg.PoolClient,
  registration: { project: string; environment: string; namespace: string; shareNamespace: boolean },
): Promise<void> {
  const { project, environment, namespace } = registration;
  await client.query('INSERT INTO namespace_claims (namespace, project) VALUES ($1, $2) ON CONFLICT (namespace) DO NOTHING', [namespace, project]);
  const { rows } = await client.query<{ project: string }>('SELECT project FROM namespace_claims WHERE namespace = $1 FOR UPDATE', [namespace]);
  if (rows[0]!.project !== project) throw new NamespaceClaimConflict(namespace, { project: rows[0]!.project });
  if (registration.shareNamespace) return;
  const { rows: others } = await client.query<{ name: string }>(
    'SELECT name FROM environments WHERE project = $1 AND namespace = $2 AND name <> $3 ORDER BY name LIMIT 1',
    [project, namespace, environment],
  );
  if (others[0]) throw new NamespaceClaimConflict(namespace, { project, environment: others[0].name });
}

/** Which project claims each of `namespaces` (unclaimed ones are absent). */
export async function namespaceOwners(pool: pg.Pool, namespaces: readonly string[]): Promise<Map<string, string>> {
  if (namespaces.length === 0) return new Map();
  const { rows } = await pool.query<{ namespace: string; project: string }>(
    'SELECT namespace, project FROM namespace_claims WHERE namespace = ANY($1::text[])',
    [[...new Set(namespaces)]],
  );
  return new Map(rows.map((row) => [row.namespace, row.project]));
}

/** The project's policy; the defaults (an empty policy) when it has none. */
export async function loadProjectPolicy(pool: pg.Pool, project: string): Promise<ProjectPolicy> {
  const { rows } = await pool.query<{ policy: ProjectPolicy }>('SELECT policy FROM project_policies WHERE project = $1', [project]);
  return rows[0]?.policy ?? {};
}

/** Creates the project when missing and replaces its policy; true when the policy is new. */
export async function saveProjectPolicy(pool: pg.Pool, project: string, policy: ProjectPolicy): Promise<{ created: boolean }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [project]);
    const { rows } = await client.query<{ created: boolean }>(
      `INSERT INTO project_policies (project, policy) VALUES ($1, $2)
       ON CONFLICT (project) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [project, JSON.stringify(policy)],
    );
    await client.query('COMMIT');
    return { created: rows[0]!.created };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
