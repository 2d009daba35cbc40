// Loads the parts of environments' effective policies in one query: their registered settings,
// their project's freeze windows and whether a notification subscription covers them. Every
// reader of a policy goes through here: the workflow's loads (activities/environment.ts), the
// state a fresh run starts from (activities/recorded-state.ts), and the API (its reads, the start
// input of a workflow, the policy it pushes to running ones).
import type pg from 'pg';
import { effectivePolicy } from '../domain/effective-policy.js';
import type { FreezeWindow } from '../domain/freeze-windows.js';
import type { EnvironmentPolicy } from '../domain/vocabulary.js';

export interface EnvironmentWithPolicy {
  environment: string;
  policy: EnvironmentPolicy;
}

interface PolicyRow {
  name: string;
  policy: Partial<EnvironmentPolicy>;
  project_windows: FreezeWindow[] | null;
  notifications: boolean;
}

/** Those of `project`'s environments named `environment` (null: all of them), by name. */
async function load(pool: pg.Pool, project: string, environment: string | null, defaults: EnvironmentPolicy): Promise<EnvironmentWithPolicy[]> {
  const { rows } = await pool.query<PolicyRow>(
    `SELECT e.name, e.policy, pp.policy -> 'freezeWindows' AS project_windows,
            EXISTS (SELECT 1 FROM notification_subscriptions s
                     WHERE s.project = e.project AND (s.environment IS NULL OR s.environment = e.name)) AS notifications
       FROM environments e LEFT JOIN project_policies pp ON pp.project = e.project
      WHERE e.project = $1 AND ($2::text IS NULL OR e.name = $2)
      ORDER BY e.name`,
    [project, environment],
  );
  return rows.map((row) => ({
    environment: row.name,
    policy: effectivePolicy({ defaults, environment: row.policy, projectWindows: row.project_windows ?? [], notifications: row.notifications }),
  }));
}

/** The environment's effective policy, or undefined when it is not registered. */
export async function loadEffectivePolicy(pool: pg.Pool, project: string, environment: string, defaults: EnvironmentPolicy): Promise<EnvironmentPolicy | undefined> {
  return (await load(pool, project, environment, defaults))[0]?.policy;
}

/** The effective policy of every environment of `project`, by name. */
export function loadProjectEffectivePolicies(pool: pg.Pool, project: string, defaults: EnvironmentPolicy): Promise<EnvironmentWithPolicy[]> {
  return load(pool, project, null, defaults);
}
